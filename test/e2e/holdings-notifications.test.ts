/**
 * The holdings read model valued at current prices, and the in-app inbox: one notification per
 * completed deposit and per filled order. Assets of this file: GOOGL, BHP.
 *
 * Not covered end to end: `stale` / `unavailable` valuations (market-data cannot be made unavailable
 * through the public API); the holdings component tests cover them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  cents,
  countBy,
  eventually,
  expectProblem,
  expectStatus,
  micros,
  money,
  notional,
  useSystem,
  WAIT_MS,
} from './system.ts';

const sys = useSystem();

describe('holdings', () => {
  it('values positions live at the current price (value = quantity × price)', async () => {
    const bank = sys.bank;
    const { customer, account } = await bank.fundedCustomer('20000.00');
    await bank.pinPrice('GOOGL', '140.25');
    const buy = await bank.trade(customer, { accountId: account.id, assetId: 'GOOGL', side: 'buy', quantity: '7.5' });
    const cash = money(2000000n - notional('7.5', buy.fillPrice!) - cents(buy.fee));
    await bank.waitForCash(customer, account.id, cash, '0.00');
    await bank.waitForPosition(customer, account.id, 'GOOGL', micros('7.5'));

    const h = await bank.holdings(customer, account.id);
    assert.equal(h.accountId, account.id);
    assert.equal(h.valuation, 'live', JSON.stringify(h));
    assert.equal(typeof h.asOf, 'string');
    assert.deepEqual(h.cash, { available: cash, reserved: '0.00' });
    const p = h.positions.find((x: { assetId: string }) => x.assetId === 'GOOGL');
    assert.ok(p, JSON.stringify(h));
    assert.equal(micros(p.quantity), micros('7.5'));
    assert.equal(micros(p.reservedQuantity), 0n);
    assert.equal(p.averageCost, '140.25');
    assert.equal(p.price, '140.25');
    assert.equal(p.value, money(notional('7.5', '140.25')));
    assert.equal(p.value, '1051.88'); // 1051.875 half-up

    // A new price is reflected in the valuation.
    await bank.pinPrice('GOOGL', '150.00');
    const revalued = await eventually(
      async () => {
        const x = await bank.holdings(customer, account.id);
        const q = x.positions.find((y: { assetId: string }) => y.assetId === 'GOOGL');
        return q?.price === '150.00' ? { x, q } : undefined;
      },
      { timeoutMs: WAIT_MS, message: 'holdings never valued GOOGL at the new price' },
    );
    assert.equal(revalued.x.valuation, 'live');
    assert.equal(revalued.q.value, '1125.00');
    assert.equal(revalued.q.averageCost, '140.25', 'the average cost does not move with the price');
    if (revalued.x.totalValue !== undefined) {
      const sum = (revalued.x.positions as { value?: string }[]).reduce(
        (s, x) => s + (x.value ? cents(x.value) : 0n),
        0n,
      );
      assert.ok(
        revalued.x.totalValue === money(sum) || revalued.x.totalValue === money(sum + cents(cash)),
        `totalValue ${revalued.x.totalValue}: positions ${money(sum)}, with cash ${money(sum + cents(cash))}`,
      );
    }
  });

  it('shows an account without positions as live with its cash only', async () => {
    const { customer, account } = await sys.bank.fundedCustomer('12.34');
    const h = await sys.bank.holdings(customer, account.id);
    assert.deepEqual(h.cash, { available: '12.34', reserved: '0.00' });
    assert.deepEqual(h.positions, []);
  });
});

describe('notifications', () => {
  it('writes one deposit_completed per completed deposit and one order_filled per filled order', async () => {
    const bank = sys.bank;
    const { customer, account } = await bank.fundedCustomer('500.00');
    await bank.deposit(customer, account.id, '250.00', { method: 'bank_transfer' });
    const declined = await bank.requestDeposit(customer, account.id, '99.00', { card: '4000000000000002' });
    expectStatus(declined, 202);
    assert.equal((await bank.waitForPayment(customer, declined.body.id)).status, 'failed');

    await bank.pinPrice('BHP', '45.10');
    await bank.trade(customer, { accountId: account.id, assetId: 'BHP', side: 'buy', quantity: '3' });
    await bank.pinPrice('BHP', '45.10');
    await bank.trade(customer, { accountId: account.id, assetId: 'BHP', side: 'sell', quantity: '1' });
    await bank.pinPrice('BHP', '45.10');
    await bank.trade(customer, { accountId: account.id, assetId: 'BHP', side: 'sell', quantity: '100' }, ['rejected']);

    const wanted = { deposit_completed: 2, deposit_failed: 1, order_filled: 2, order_rejected: 1 };
    let last: Record<string, number> = {};
    await eventually(
      async () => {
        last = countBy(await bank.notifications(customer), (n) => n.kind);
        return Object.entries(wanted).every(([k, v]) => (last[k] ?? 0) >= v);
      },
      { timeoutMs: WAIT_MS, message: `notifications never arrived: ${JSON.stringify(wanted)}` },
    ).catch((err) => {
      throw new Error(`${(err as Error).message}; last counts ${JSON.stringify(last)}`);
    });
    // Exactly one per event, no more.
    const items = await bank.notifications(customer);
    const counts = countBy(items, (n) => n.kind);
    assert.equal(counts.deposit_completed, 2, JSON.stringify(counts));
    assert.equal(counts.order_filled, 2, JSON.stringify(counts));
    assert.equal(counts.deposit_failed, 1, JSON.stringify(counts));
    for (const n of items) {
      assert.equal(typeof n.title, 'string');
      assert.equal(n.read, false);
      assert.ok(
        !n.body.includes('4000000000000002') && !n.body.includes(customer.email),
        'no card number or e-mail in a notification',
      );
    }
    // Newest first.
    const times = items.map((n) => Date.parse(n.at));
    assert.deepEqual(
      [...times].sort((a, b) => b - a),
      times,
    );

    // Mark one read.
    const first = items[0]!;
    const read = await customer.http.post(`/v1/notifications/${first.id}/read`);
    expectStatus(read, 204, 'mark read');
    const after = await bank.notifications(customer);
    assert.equal(after.find((n) => n.id === first.id)?.read, true);
    assert.equal(after.filter((n) => n.read).length, 1);

    // Another customer neither sees nor marks them.
    const other = await bank.signUp();
    assert.deepEqual(await bank.notifications(other), []);
    expectProblem(await other.http.post(`/v1/notifications/${items[1]!.id}/read`), 404, 'not_found');
  });
});
