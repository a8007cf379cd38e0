/** reporting as a component: real PostgreSQL, events delivered as orders, fees and transactions publish them — out of order and twice. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { AppError, type Identity } from '@simplebank/chassis';
import { eventually, startTestService, type TestService } from '@simplebank/chassis/testing';
import { reportingContract } from '../src/contract.ts';
import { reportingService } from '../src/service.ts';
import { eventsAfter } from '../src/store.ts';
import { CHARGED, ORDER, REFUNDED, filledBuy } from './events.ts';

const admin: Identity = { customerId: 'admin-1', role: 'admin' };
const customer = (): Identity => ({ customerId: `c-${randomUUID()}`, role: 'customer' });
const PERIOD = { from: '2026-01-01', to: '2027-01-01' };

const refused = (status: number, code: string) => (e: unknown) => {
  assert.ok(e instanceof AppError, String(e));
  assert.equal(e.code, code, e.message);
  assert.equal(e.status, status);
  return true;
};

describe('reporting', () => {
  let svc: TestService;
  before(async () => {
    svc = await startTestService(reportingService);
  });
  after(async () => {
    await svc.stop();
  });
  const statement = (who: Identity, accountId: string, period: { from?: string; to?: string } = PERIOD) =>
    svc.callAs(who)(reportingContract, 'getStatement', { accountId, ...period });
  const orders = (who: Identity, q: Record<string, unknown> = {}) =>
    svc.callAs(who)(reportingContract, 'listOrders', { ...PERIOD, ...q });

  it('a filled buy delivered backwards and twice: one statement line of its cost, the fee, the order with notional, asset name and type', async () => {
    const alice = customer();
    const accountId = `acc-${randomUUID()}`;
    const { orderId, events } = filledBuy(alice, accountId, Date.parse('2026-12-06T10:00:00Z'));
    for (const e of [...events].reverse()) await svc.deliver(e.type, e.data, { id: e.id });
    for (const e of events) await svc.deliver(e.type, e.data, { id: e.id });

    const s = await eventually(async () => {
      const r = await statement(alice, accountId);
      return r.lines.length === 3 ? r : undefined;
    });
    assert.equal(s.openingBalance, '0.00');
    assert.deepEqual(
      s.lines.map((l) => [l.kind, l.description, l.amount, l.balance]),
      [
        ['deposit', 'Deposit', '500.00', '500.00'],
        ['fee', 'Fee: buy 2 AAPL', '-1.01', '498.99'],
        ['buy', 'Buy 2 AAPL @ 228.97', '-457.94', '41.05'],
      ],
    );
    assert.equal(s.closingBalance, '41.05');
    assert.ok(s.asOf && !Number.isNaN(Date.parse(s.asOf)));

    const page = await eventually(async () => {
      const p = await orders(alice);
      return p.items[0]?.status === 'filled' ? p : undefined;
    });
    assert.equal(page.items.length, 1);
    const o = page.items[0]!;
    assert.deepEqual(
      {
        orderId: o.orderId,
        assetName: o.assetName,
        assetType: o.assetType,
        side: o.side,
        quantity: o.quantity,
        fee: o.fee,
        fillPrice: o.fillPrice,
        notional: o.notional,
        placedAt: o.placedAt,
        filledAt: o.filledAt,
        source: o.source,
      },
      {
        orderId,
        assetName: 'Apple',
        assetType: 'stock',
        side: 'buy',
        quantity: '2',
        fee: '1.01',
        fillPrice: '228.97',
        notional: '457.94',
        placedAt: '2026-12-06T10:00:01.000Z',
        filledAt: '2026-12-06T10:00:04.000Z',
        source: 'customer',
      },
    );
    // Every event was kept once.
    const { rows } = await svc.database.db.query<{ n: string }>(
      "SELECT count(*)::text AS n FROM events WHERE data->>'accountId' = $1",
      [accountId],
    );
    assert.equal(rows[0]!.n, String(events.length));
  });

  it('the statement of a period: the opening balance carries what came before; closing = opening + lines', async () => {
    const bob = customer();
    const accountId = `acc-${randomUUID()}`;
    for (const e of filledBuy(bob, accountId, Date.parse('2026-11-30T23:59:58Z')).events)
      await svc.deliver(e.type, e.data, { id: e.id });
    const s = await eventually(async () => {
      const r = await statement(bob, accountId, { from: '2026-12-01', to: '2026-12-02' });
      return r.lines.length === 1 ? r : undefined;
    });
    // The deposit (23:59:58) and the fee (23:59:59) are before December; the buy (00:00:02) is in it.
    assert.equal(s.openingBalance, '498.99');
    assert.deepEqual(
      s.lines.map((l) => l.kind),
      ['buy'],
    );
    assert.equal(s.closingBalance, '41.05');
    assert.equal(s.from, '2026-12-01T00:00:00.000Z');
    assert.equal(s.to, '2026-12-02T00:00:00.000Z');
  });

  it("orders: only the caller's own; an admin anyone's or one customer's; filters by status and account; pages", async () => {
    const carol = customer();
    const dave = customer();
    const base = Date.parse('2026-12-03T08:00:00Z');
    for (let i = 0; i < 3; i++)
      for (const e of filledBuy(carol, 'acc-carol', base + i * 60_000).events)
        await svc.deliver(e.type, e.data, { id: e.id });
    for (const e of filledBuy(dave, 'acc-dave', base).events.slice(0, 2))
      await svc.deliver(e.type, e.data, { id: e.id });
    await eventually(
      async () =>
        (await orders(carol, { status: 'filled' })).items.length === 3 && (await orders(dave)).items.length === 1,
    );
    assert.deepEqual(
      (await orders(dave)).items.map((o) => o.status),
      ['pending'],
    );
    assert.equal((await orders(carol, { accountId: 'acc-dave' })).items.length, 0);
    assert.equal(
      (await orders(carol, { customerId: dave.customerId })).items.length,
      3,
      'a customer cannot name another customer',
    );
    assert.equal((await orders(admin, { customerId: dave.customerId })).items.length, 1);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const p = await orders(carol, { limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...p.items.map((o) => o.placedAt));
      cursor = p.nextCursor ?? undefined;
    } while (cursor);
    assert.equal(seen.length, 3);
    assert.deepEqual(seen, [...seen].sort().reverse());
    await assert.rejects(orders(carol, { cursor: 'bm9wZQ' }), refused(400, 'validation_failed'));
  });

  it('the fee report: charged minus refunded by day, side and asset type; admins only', async () => {
    const erin = customer();
    const day = { from: '2025-03-01', to: '2025-03-03' };
    const orderA = randomUUID();
    const orderB = randomUUID();
    const orderEvent = (orderId: string, assetId: string, side: string, at: string) => ({
      orderId,
      accountId: 'acc-erin',
      customerId: erin.customerId,
      assetId,
      side,
      quantity: '1',
      status: 'pending',
      reason: null,
      fillPrice: null,
      fee: '1.00',
      at,
    });
    const fee = (orderId: string, feeId: string, amount: string, at: string) => ({
      feeId,
      orderId,
      accountId: 'acc-erin',
      amount,
      at,
    });
    const feeA = randomUUID();
    const refund = { id: randomUUID(), data: fee(orderA, feeA, '1.25', '2025-03-02T01:00:00Z') };
    // The refund first, the charge twice, the order last.
    await svc.deliver(REFUNDED, refund.data, { id: refund.id });
    await svc.deliver(REFUNDED, refund.data, { id: refund.id });
    const charge = { id: randomUUID(), data: fee(orderA, feeA, '1.25', '2025-03-01T23:00:00Z') };
    await svc.deliver(CHARGED, charge.data, { id: charge.id });
    await svc.deliver(CHARGED, charge.data, { id: randomUUID() }); // the same fee under another envelope: still one
    await svc.deliver(CHARGED, fee(orderB, randomUUID(), '3.10', '2025-03-01T10:00:00Z'));
    await svc.deliver(ORDER, orderEvent(orderA, 'SPY', 'buy', '2025-03-01T22:59:00Z'));
    await svc.deliver(ORDER, orderEvent(orderB, 'AAPL', 'sell', '2025-03-01T09:59:00Z'));
    const report = await eventually(async () => {
      const r = await svc.callAs(admin)(reportingContract, 'feeReport', day);
      return r.items.length === 3 && r.items.every((i) => i.side !== null) ? r : undefined;
    });
    assert.equal(report.total, '3.10');
    assert.deepEqual(report.items, [
      { day: '2025-03-01', side: 'buy', assetType: 'etf', count: 1, total: '1.25' },
      { day: '2025-03-01', side: 'sell', assetType: 'stock', count: 1, total: '3.10' },
      { day: '2025-03-02', side: 'buy', assetType: 'etf', count: 0, total: '-1.25' },
    ]);
    await assert.rejects(svc.callAs(erin)(reportingContract, 'feeReport', day), refused(403, 'forbidden'));
  });

  it('refuses a bad period (400, naming the field)', async () => {
    const frank = customer();
    await assert.rejects(statement(frank, 'acc-x', { from: 'yesterday' }), (e: unknown) => {
      refused(400, 'validation_failed')(e);
      assert.equal((e as AppError).errors?.[0]?.path, '/from');
      return true;
    });
    await assert.rejects(orders(frank, { from: '2026-12-02', to: '2026-12-01' }), refused(400, 'validation_failed'));
    // A statement or fee report answers its whole period at once, so a period is at most a year.
    await assert.rejects(statement(frank, 'acc-x', { from: '2024-01-01', to: '2025-06-01' }), (e: unknown) => {
      refused(400, 'validation_failed')(e);
      assert.equal((e as AppError).errors?.[0]?.path, '/to');
      return true;
    });
    await assert.rejects(
      svc.callAs(admin)(reportingContract, 'feeReport', { from: '2020-01-01', to: '2026-01-01' }),
      refused(400, 'validation_failed'),
    );
  });

  it('a rebuild from the retained events gives the same model as the live one; customers may not rebuild', async () => {
    const snapshot = async () => {
      const db = svc.database.db;
      const q = async (sql: string) => (await db.query(sql)).rows;
      return {
        orders: await q('SELECT * FROM orders ORDER BY order_id'),
        fees: await q('SELECT * FROM fee_events ORDER BY fee_id, kind'),
        postings: await q('SELECT * FROM postings ORDER BY posting_id'),
      };
    };
    const live = await snapshot();
    assert.ok(live.orders.length > 0 && live.postings.length > 0);
    await assert.rejects(
      svc.callAs(customer())(reportingContract, 'rebuildProjections', {}),
      refused(403, 'forbidden'),
    );
    await svc.database.db.query("UPDATE orders SET status = 'expired'"); // a damaged model
    const result = await svc.callAs(admin)(reportingContract, 'rebuildProjections', {});
    assert.equal(result.orders, live.orders.length);
    assert.equal(result.postings, live.postings.length);
    assert.deepEqual(await snapshot(), live);
  });

  it('reads the retained events back in the order they were applied, page by page, past seq 9 → 10 (numbers, not text)', async () => {
    const total = Number((await svc.database.db.query<{ n: string }>('SELECT count(*) AS n FROM events')).rows[0]!.n);
    assert.ok(total > 10, `enough events to cross a digit: ${total}`);
    const seqs: number[] = [];
    for (let after = '0'; ; ) {
      const page = await eventsAfter(svc.database.db, after, 3);
      if (page.length === 0) break;
      seqs.push(...page.map((e) => Number(e.seq)));
      after = page.at(-1)!.seq;
    }
    assert.equal(seqs.length, total, 'every event read once');
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
      'in increasing order',
    );
  });
});
