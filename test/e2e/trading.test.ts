/**
 * Buying and selling through the public API, with the exchange open and healthy: fills, exact cash
 * and positions, business rejections that change nothing, cancel of a filled order, idempotent POST.
 * Assets of this file: MSFT, AAPL (prices pinned before every order).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  cents,
  expectProblem,
  expectStatus,
  feeFor,
  limitPrice,
  micros,
  money,
  notional,
  show,
  useSystem,
} from './system.ts';

const sys = useSystem();

describe('trading', () => {
  it('buys and then sells, filled at the pinned price, with cash and position exact to the cent', async () => {
    const bank = sys.bank;
    const { customer, account } = await bank.fundedCustomer('5000.00');

    // Buy 10 MSFT at 104.50: limit 109.725 → 109.73, fee 1.045 → 1.05 (both half-up ties).
    await bank.pinPrice('MSFT', '104.50');
    const buy = await bank.placeOrder(customer, {
      accountId: account.id,
      assetId: 'MSFT',
      side: 'buy',
      quantity: '10',
    });
    assert.equal(buy.status, 'pending');
    assert.equal(buy.type, 'market');
    assert.equal(buy.quotePrice, '104.50');
    assert.equal(buy.limitPrice, limitPrice('buy', '104.50'));
    assert.equal(buy.limitPrice, '109.73');
    assert.equal(buy.fee, money(feeFor('10', '104.50')));
    assert.equal(buy.fee, '1.05');
    const filled = await bank.waitForOrder(customer, buy.id, ['filled']);
    assert.equal(filled.fillPrice, '104.50');
    assert.equal(filled.reason, null);
    assert.deepEqual(
      filled.history.map((h) => h.status),
      ['pending', 'placed', 'filled'],
    );
    const afterBuy = 500000n - notional('10', filled.fillPrice!) - cents(filled.fee);
    assert.equal(money(afterBuy), '3953.95');
    await bank.waitForCash(customer, account.id, money(afterBuy), '0.00');
    await bank.waitForPosition(customer, account.id, 'MSFT', micros('10'));

    // Sell 4 MSFT at 110.10: limit 104.595 → 104.60, fee max(1.00, 0.4404) = 1.00.
    await bank.pinPrice('MSFT', '110.10');
    const sell = await bank.placeOrder(customer, {
      accountId: account.id,
      assetId: 'MSFT',
      side: 'sell',
      quantity: '4',
    });
    assert.equal(sell.quotePrice, '110.10');
    assert.equal(sell.limitPrice, limitPrice('sell', '110.10'));
    assert.equal(sell.limitPrice, '104.60');
    assert.equal(sell.fee, '1.00');
    const sold = await bank.waitForOrder(customer, sell.id, ['filled']);
    assert.equal(sold.fillPrice, '110.10');
    const afterSell = afterBuy + notional('4', sold.fillPrice!) - cents(sold.fee);
    assert.equal(money(afterSell), '4393.35');
    await bank.waitForCash(customer, account.id, money(afterSell), '0.00');
    await bank.waitForPosition(customer, account.id, 'MSFT', micros('6'));

    // The account's ledger shows the trade and the fees.
    const tx = await customer.http.get(`/v1/accounts/${account.id}/transactions?limit=200`);
    expectStatus(tx, 200, 'transactions');
    const kinds = new Set(tx.body.items.map((e: { kind: string }) => e.kind));
    for (const k of ['deposit', 'reservation', 'fee', 'trade'])
      assert.ok(kinds.has(k), `ledger entry of kind ${k}: ${show(tx)}`);

    await bank.assertTrialBalance();
  });

  it('buys a fractional quantity: notional rounded half-up to the cent, minimum fee', async () => {
    const bank = sys.bank;
    const { customer, account } = await bank.fundedCustomer('100.00');
    await bank.pinPrice('AAPL', '187.33');
    // 0.125 × 187.33 = 23.41625 → 23.42; fee max(1.00, 0.0234) = 1.00.
    const order = await bank.trade(customer, {
      accountId: account.id,
      assetId: 'AAPL',
      side: 'buy',
      quantity: '0.125',
    });
    assert.equal(order.fillPrice, '187.33');
    assert.equal(order.fee, '1.00');
    const expected = 10000n - notional('0.125', '187.33') - 100n;
    assert.equal(money(expected), '75.58');
    await bank.waitForCash(customer, account.id, money(expected), '0.00');
    await bank.waitForPosition(customer, account.id, 'AAPL', micros('0.125'));
    await bank.assertTrialBalance();
  });

  it('rejects a buy beyond the available cash (insufficient_funds) and changes nothing', async () => {
    const bank = sys.bank;
    const { customer, account } = await bank.fundedCustomer('100.00');
    await bank.pinPrice('AAPL', '187.33');
    const before = await bank.cash(customer, account.id);
    const order = await bank.trade(customer, { accountId: account.id, assetId: 'AAPL', side: 'buy', quantity: '1' }, [
      'rejected',
    ]);
    assert.equal(order.status, 'rejected');
    assert.equal(order.reason, 'insufficient_funds');
    assert.equal(order.fillPrice, null);
    await bank.waitForCash(customer, account.id, before.available, before.reserved);
    assert.deepEqual(before, { available: '100.00', reserved: '0.00' });
    assert.equal((await bank.position(customer, account.id, 'AAPL')).quantity, 0n);
    const kinds = await bank.assertNoNetEffect(customer, account.id, order.id);
    assert.ok(!kinds.has('fee'), `no fee charged for a rejected order: ${[...kinds]}`);
    await bank.assertTrialBalance();
  });

  it('rejects a buy whose reservation fits but whose fee does not (insufficient_funds), releasing the reservation', async () => {
    const bank = sys.bank;
    // 1 AAPL at 187.33 reserves 196.70 (the limit); 197.00 leaves 0.30 for a 1.00 fee.
    const { customer, account } = await bank.fundedCustomer('197.00');
    await bank.pinPrice('AAPL', '187.33');
    const order = await bank.trade(customer, { accountId: account.id, assetId: 'AAPL', side: 'buy', quantity: '1' }, [
      'rejected',
    ]);
    assert.equal(order.reason, 'insufficient_funds');
    await bank.waitForCash(customer, account.id, '197.00', '0.00');
    assert.equal((await bank.position(customer, account.id, 'AAPL')).quantity, 0n);
    await bank.assertNoNetEffect(customer, account.id, order.id);
    await bank.assertTrialBalance();
  });

  it('rejects a sell of shares not held (insufficient_position) and changes nothing', async () => {
    const bank = sys.bank;
    const { customer, account } = await bank.fundedCustomer('1000.00');
    await bank.pinPrice('MSFT', '100.00');
    // Hold 2, try to sell 3.
    const buy = await bank.trade(customer, { accountId: account.id, assetId: 'MSFT', side: 'buy', quantity: '2' });
    const afterBuy = money(100000n - notional('2', buy.fillPrice!) - cents(buy.fee));
    assert.equal(afterBuy, '799.00');
    await bank.waitForCash(customer, account.id, afterBuy, '0.00');
    await bank.waitForPosition(customer, account.id, 'MSFT', micros('2'));

    await bank.pinPrice('MSFT', '100.00');
    const sell = await bank.trade(customer, { accountId: account.id, assetId: 'MSFT', side: 'sell', quantity: '3' }, [
      'rejected',
    ]);
    assert.equal(sell.reason, 'insufficient_position');
    await bank.waitForCash(customer, account.id, afterBuy, '0.00');
    await bank.assertNoNetEffect(customer, account.id, sell.id);
    await bank.waitForPosition(customer, account.id, 'MSFT', micros('2'), 0n);

    // Never held at all.
    await bank.pinPrice('AAPL', '187.33');
    const none = await bank.trade(customer, { accountId: account.id, assetId: 'AAPL', side: 'sell', quantity: '1' }, [
      'rejected',
    ]);
    assert.equal(none.reason, 'insufficient_position');
    await bank.waitForCash(customer, account.id, afterBuy, '0.00');
    await bank.assertTrialBalance();
  });

  it('refuses to cancel a filled order: 409 order_not_cancelable', async () => {
    const bank = sys.bank;
    const { customer, account } = await bank.fundedCustomer('1000.00');
    await bank.pinPrice('AAPL', '150.00');
    const order = await bank.trade(customer, { accountId: account.id, assetId: 'AAPL', side: 'buy', quantity: '1' });
    const expected = money(100000n - 15000n - 100n);
    await bank.waitForCash(customer, account.id, expected, '0.00');
    const res = await customer.http.post(`/v1/orders/${order.id}/cancel`);
    expectProblem(res, 409, 'order_not_cancelable');
    assert.equal((await bank.getOrder(customer, order.id)).status, 'filled');
    await bank.waitForCash(customer, account.id, expected, '0.00');
    await bank.waitForPosition(customer, account.id, 'AAPL', micros('1'));
  });

  it('deduplicates POST /v1/orders by Idempotency-Key: same body → same order; other body → 409', async () => {
    const bank = sys.bank;
    const { customer, account } = await bank.fundedCustomer('1000.00');
    await bank.pinPrice('MSFT', '120.00');
    const key = randomUUID();
    const body = { accountId: account.id, assetId: 'MSFT', side: 'buy' as const, quantity: '2' };
    const first = await bank.placeOrder(customer, body, key);
    const again = await bank.placeOrderRaw(customer, body, key);
    expectStatus(again, 202, 'replayed order');
    assert.equal(again.body.id, first.id, 'the same order');
    const other = await bank.placeOrderRaw(customer, { ...body, quantity: '3' }, key);
    expectProblem(other, 409, 'idempotency_key_reused');

    await bank.waitForOrder(customer, first.id, ['filled']);
    const late = await bank.placeOrderRaw(customer, body, key);
    expectStatus(late, 202, 'replay after the fill');
    assert.equal(late.body.id, first.id);

    // One order only, bought once.
    const list = await customer.http.get(`/v1/orders?accountId=${account.id}`);
    expectStatus(list, 200, 'list orders');
    assert.equal(list.body.items.length, 1, show(list));
    const expected = money(100000n - notional('2', '120.00') - 100n);
    await bank.waitForCash(customer, account.id, expected, '0.00');
    await bank.waitForPosition(customer, account.id, 'MSFT', micros('2'));
    await bank.assertTrialBalance();
  });

  it('lists orders newest first, filtered by account and status', async () => {
    const bank = sys.bank;
    const { customer, account } = await bank.fundedCustomer('1000.00');
    await bank.pinPrice('AAPL', '10.00');
    const a = await bank.trade(customer, { accountId: account.id, assetId: 'AAPL', side: 'buy', quantity: '1' });
    await bank.pinPrice('AAPL', '10.00');
    const b = await bank.trade(customer, { accountId: account.id, assetId: 'AAPL', side: 'sell', quantity: '5' }, [
      'rejected',
    ]);
    const all = await customer.http.get(`/v1/orders?accountId=${account.id}`);
    expectStatus(all, 200);
    assert.deepEqual(
      all.body.items.map((o: { id: string }) => o.id),
      [b.id, a.id],
    );
    assert.ok('nextCursor' in all.body, show(all));
    const filled = await customer.http.get(`/v1/orders?accountId=${account.id}&status=filled`);
    expectStatus(filled, 200);
    assert.deepEqual(
      filled.body.items.map((o: { id: string }) => o.id),
      [a.id],
    );
  });
});
