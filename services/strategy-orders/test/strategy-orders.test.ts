/**
 * strategy-orders on real PostgreSQL with the saga engine, its collaborators stubbed at their
 * contracts (fake-world.ts): what a customer sees of an investment, from the payment to the end of
 * its orders, and what payments and orders were asked to do (once each).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { AppError, type Identity } from '@simplebank/chassis';
import {
  createTestDatabase,
  eventually,
  startTestService,
  type TestDatabase,
  type TestService,
} from '@simplebank/chassis/testing';
import { parseMoney } from '@simplebank/money';
import { strategiesContract } from '@simplebank/strategies/contract';
import { strategyOrdersContract } from '../src/contract.ts';
import { strategyOrdersService } from '../src/service.ts';
import { strategyOrdersSettings } from '../src/settings.ts';
import { DECLINED_CARD, FakeWorld } from './fake-world.ts';

const dana: Identity = { customerId: 'dana', role: 'customer' };
const eve: Identity = { customerId: 'eve', role: 'customer' };
const CARD = { number: '4242424242424242' };

type Investment = Awaited<ReturnType<ReturnType<TestService['callAs']>>> & Record<string, any>;

describe('investing in a strategy (strategy-orders + the saga engine)', () => {
  let database: TestDatabase;
  let world: FakeWorld;
  let svc: TestService;
  let keys = 0;
  const THIRDS = randomUUID();
  const SMALL = randomUUID();

  before(async () => {
    strategyOrdersSettings.load({
      ...process.env,
      INVESTMENT_PAYMENT_CHECK_MS: '300',
      INVESTMENT_ORDER_CHECK_MS: '300',
    });
    database = await createTestDatabase('strategy_orders');
    world = new FakeWorld(database.db);
    await world.prepare();
    world.strategies.set(THIRDS, {
      name: 'Thirds',
      assets: [
        { assetId: 'AAA', percentage: '33.33' },
        { assetId: 'BBB', percentage: '33.33' },
        { assetId: 'CCC', percentage: '33.34' },
      ],
    });
    world.strategies.set(SMALL, {
      name: 'Mostly AAA',
      assets: [
        { assetId: 'AAA', percentage: '95.00' },
        { assetId: 'CCC', percentage: '5.00' },
      ],
    });
    for (const [id, ownerId] of [
      ['acc-d', 'dana'],
      ['acc-d2', 'dana'],
      ['acc-e', 'eve'],
    ] as const)
      world.accounts.set(id, { ownerId, status: 'open' });
    svc = await startTestService(strategyOrdersService, { database, stubs: world.stubs() });
  });
  after(async () => {
    await svc?.stop();
    await database?.drop();
    strategyOrdersSettings.load(process.env);
  });

  const invest = (who: Identity, body: Record<string, unknown>, key = `k-${++keys}`) =>
    svc.callAs(who)(
      strategyOrdersContract,
      'invest',
      {
        strategyId: THIRDS,
        destinationAccountId: 'acc-d',
        amount: '1000.00',
        method: 'card',
        card: CARD,
        ...body,
      } as never,
      { idempotencyKey: key },
    );
  const read = (id: string, who = dana) =>
    svc.callAs(who)(strategyOrdersContract, 'getInvestment', { investmentId: id });
  const ended = (id: string, status: 'completed' | 'failed' = 'completed') =>
    eventually(
      async () => {
        const i = await read(id);
        return i.status === status ? i : undefined;
      },
      { message: `investment ${id} to be ${status}` },
    );
  const refused = (status: number, code: string) => (e: unknown) => {
    assert.ok(e instanceof AppError, String(e));
    assert.equal(e.code, code, e.message);
    assert.equal(e.status, status);
    return true;
  };
  const published = async (id: string) =>
    (
      await database.db.query<{ body: string }>(
        "SELECT body FROM chassis_outbox WHERE destination = 'strategy-orders.InvestmentStatusChanged.v1' ORDER BY id",
      )
    ).rows
      .map((r) => JSON.parse(r.body).data as Record<string, string>)
      .filter((d) => d.investmentId === id);
  const sum = (...xs: string[]) => xs.reduce((a, x) => a + parseMoney(x), 0n);

  it('pays the amount, then buys each allocation within its share; once completed invested + fees + leftover = amount', async () => {
    const taken = await invest(dana, {});
    assert.equal(taken.status, 'awaiting_payment');
    assert.equal(taken.strategyId, THIRDS);
    assert.equal(taken.destinationAccountId, 'acc-d');
    assert.equal(taken.amount, '1000.00');
    assert.deepEqual([taken.orders, taken.invested, taken.fees, taken.leftover], [[], '0.00', '0.00', '0.00']);
    const [payment, ...morePayments] = (await world.payments()).filter((p) => p.id === taken.paymentId);
    assert.deepEqual(
      [payment?.amount, payment?.account_id, payment?.method, morePayments.length],
      ['1000.00', 'acc-d', 'card', 0],
    );

    const done: Investment = await ended(taken.id);
    assert.deepEqual(
      done.orders.map((o: { assetId: string; status: string }) => `${o.assetId}:${o.status}`),
      ['AAA:filled', 'BBB:filled', 'CCC:filled'],
    );
    assert.deepEqual(done.skipped, []);
    assert.equal(sum(done.invested, done.fees, done.leftover), parseMoney('1000.00'));
    assert.ok(parseMoney(done.leftover) >= 0n);

    // What orders was asked: one buy per allocation, by strategy-orders, for this investment, each
    // reserving (quantity × limit) plus its fee within its share (333.30, 333.30, 333.40).
    const orders = await world.orders(taken.id);
    assert.deepEqual(
      orders.map((o) => [o.asset_id, o.source, o.caller, o.calls]),
      [
        ['AAA', 'strategy', 'strategy-orders', 1],
        ['BBB', 'strategy', 'strategy-orders', 1],
        ['CCC', 'strategy', 'strategy-orders', 1],
      ],
    );
    const shares = { AAA: '333.30', BBB: '333.30', CCC: '333.40' } as Record<string, string>;
    for (const o of orders)
      assert.ok(
        sum(o.reservation, o.fee) <= parseMoney(shares[o.asset_id]!),
        `${o.asset_id}: ${o.reservation} + ${o.fee} within ${shares[o.asset_id]}`,
      );
    assert.deepEqual(
      orders.map((o) => o.quantity),
      done.orders.map((o: { quantity: string }) => o.quantity),
    );
    assert.deepEqual(
      orders.map((o) => [o.asset_id, o.quantity, o.limit_price]),
      [
        ['AAA', '3.164761', '105.00'],
        ['BBB', '7.612829', '43.65'],
        ['CCC', '45.224489', '7.35'],
      ],
    );

    assert.deepEqual(
      (await published(taken.id)).map((e) => e.status),
      ['awaiting_payment', 'ordering', 'completed'],
    );
    const last = (await published(taken.id)).at(-1)!;
    assert.deepEqual(
      [last.invested, last.fees, last.leftover, last.customerId],
      [done.invested, done.fees, done.leftover, 'dana'],
    );
  });

  it('a declined card fails the investment (payment_failed) and buys nothing', async () => {
    const taken = await invest(dana, { card: { number: DECLINED_CARD } });
    const failed = await ended(taken.id, 'failed');
    assert.equal(failed.reason, 'payment_failed');
    assert.deepEqual([failed.orders, failed.invested, failed.fees, failed.leftover], [[], '0.00', '0.00', '0.00']);
    assert.deepEqual(await world.orders(taken.id), []);
    assert.deepEqual(
      (await published(taken.id)).map((e) => e.status),
      ['awaiting_payment', 'failed'],
    );
  });

  it('an allocation too small for the fee is skipped and left over; an order that ends unfilled is reported so, its share left over', async () => {
    world.outcomes.set('AAA', 'expired');
    try {
      // 5% of 10.00 is 0.50: less than the 1.00 minimum fee.
      const taken = await invest(dana, { strategyId: SMALL, amount: '10.00' });
      const done = await ended(taken.id);
      assert.deepEqual(
        done.orders.map((o) => `${o.assetId}:${o.status}`),
        ['AAA:expired'],
      );
      assert.deepEqual(done.skipped, [{ assetId: 'CCC', share: '0.50', reason: 'too_small_for_fee' }]);
      // Nothing filled: everything stays as cash.
      assert.deepEqual([done.invested, done.fees, done.leftover], ['0.00', '0.00', '10.00']);
      assert.deepEqual(
        (await world.orders(taken.id)).map((o) => o.asset_id),
        ['AAA'],
      );
    } finally {
      world.outcomes.delete('AAA');
    }
  });

  it('a buy orders refuses is left over with its reason; the investment still completes', async () => {
    world.accounts.set('acc-closing', { ownerId: 'dana', status: 'open' });
    world.refuseOrdersOf.add('acc-closing');
    const taken = await invest(dana, { destinationAccountId: 'acc-closing', amount: '300.00' });
    const done = await ended(taken.id);
    assert.deepEqual(done.orders, []);
    assert.deepEqual(
      done.skipped.map((s) => `${s.assetId}:${s.reason}`),
      ['AAA:account_closed', 'BBB:account_closed', 'CCC:account_closed'],
    );
    assert.equal(done.leftover, '300.00');
  });

  it('the same Idempotency-Key answers the same investment: one payment, one saga', async () => {
    const first = await invest(dana, { amount: '120.00' }, 'same-key');
    const again = await invest(dana, { amount: '120.00' }, 'same-key');
    assert.deepEqual(again, first);
    await ended(first.id);
    const payments = (await world.payments()).filter((p) => p.id === first.paymentId);
    assert.deepEqual(
      payments.map((p) => p.calls),
      [1],
    );
    const { rows } = await database.db.query(
      "SELECT 1 FROM investments WHERE amount_cents = 12000 AND customer_id = 'dana'",
    );
    assert.equal(rows.length, 1);
    await assert.rejects(invest(dana, { amount: '121.00' }, 'same-key'), refused(409, 'idempotency_key_reused'));
  });

  it("refuses what cannot be invested: another's or a closed account, an unknown strategy, a bad amount or card, an admin; nothing is paid", async () => {
    const paymentsBefore = (await world.payments()).length;
    await assert.rejects(invest(dana, { destinationAccountId: 'acc-e' }), refused(404, 'not_found'));
    await assert.rejects(invest(dana, { destinationAccountId: 'acc-nope' }), refused(404, 'not_found'));
    world.accounts.set('acc-closed', { ownerId: 'dana', status: 'closed' });
    await assert.rejects(invest(dana, { destinationAccountId: 'acc-closed' }), refused(422, 'account_closed'));
    await assert.rejects(invest(dana, { strategyId: randomUUID() }), refused(404, 'not_found'));
    await assert.rejects(invest(dana, { strategyId: 'not-a-uuid' }), refused(404, 'not_found'));
    await assert.rejects(
      invest(dana, { amount: '0.00' }),
      (e: unknown) => refused(400, 'validation_failed')(e) && (e as AppError).errors?.[0]?.path === '/amount',
    );
    await assert.rejects(invest(dana, { amount: '1000000.01' }), refused(400, 'validation_failed'));
    await assert.rejects(
      invest(dana, { method: 'bank_transfer' }),
      (e: unknown) => refused(400, 'validation_failed')(e) && (e as AppError).errors?.[0]?.path === '/card',
    );
    await assert.rejects(invest({ customerId: 'ops', role: 'admin' }, {}), refused(403, 'forbidden'));
    assert.equal((await world.payments()).length, paymentsBefore);
  });

  it("a customer reads only their own investments (another's is not_found), newest first, page by page", async () => {
    const mine = await invest(dana, { destinationAccountId: 'acc-d2', amount: '50.00' });
    const theirs = await invest(eve, { destinationAccountId: 'acc-e', amount: '50.00' });
    await assert.rejects(read(theirs.id, dana), refused(404, 'not_found'));
    await assert.rejects(read('not-a-uuid'), refused(404, 'not_found'));
    assert.equal((await read(theirs.id, { customerId: 'ops', role: 'admin' })).id, theirs.id);
    const all = await svc.callAs(dana)(strategyOrdersContract, 'listInvestments', {});
    assert.equal(all.items[0]!.id, mine.id);
    assert.ok(all.items.every((i) => i.id !== theirs.id));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await svc.callAs(dana)(strategyOrdersContract, 'listInvestments', {
        limit: 2,
        ...(cursor ? { cursor } : {}),
      });
      assert.ok(page.items.length <= 2);
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    assert.deepEqual(
      seen,
      all.items.map((i) => i.id),
    );
    await assert.rejects(
      svc.callAs(dana)(strategyOrdersContract, 'listInvestments', { cursor: 'nope' }),
      refused(400, 'validation_failed'),
    );
  });

  it('with no news from payments or orders, it asks them itself and still completes', async () => {
    world.silent = true;
    try {
      const taken = await invest(dana, { amount: '200.00' });
      const done = await ended(taken.id);
      assert.equal(done.orders.length, 3);
      assert.ok(done.orders.every((o) => o.status === 'filled'));
      assert.equal(sum(done.invested, done.fees, done.leftover), parseMoney('200.00'));
    } finally {
      world.silent = false;
    }
  });

  it('knows a strategy from StrategyCreated: investing in it asks strategies nothing', async () => {
    const strategyId = randomUUID();
    await svc.deliver(
      strategiesContract.events.StrategyCreated.type,
      {
        strategyId,
        name: 'Evented',
        assets: [{ assetId: 'AAA', percentage: '100.00' }],
        createdById: 'admin',
        createdAt: new Date().toISOString(),
      },
      { source: 'strategies', key: strategyId },
    );
    await eventually(
      async () =>
        (await database.db.query('SELECT 1 FROM known_strategies WHERE id = $1', [strategyId])).rowCount === 1,
      { message: 'the strategy kept' },
    );
    // strategies' stub does not know it: only the copy can have answered.
    const done = await ended((await invest(dana, { strategyId, amount: '100.00' })).id);
    assert.deepEqual(
      done.orders.map((o) => o.assetId),
      ['AAA'],
    );
  });
});
