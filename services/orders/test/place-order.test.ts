/**
 * orders and fees together with the real saga engine, on real PostgreSQL; accounts, market-data and
 * the ledger stubbed (FakeWorld); market played by the test: it reads what orders sent from the
 * outbox and answers with market's events.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AppError, type Consumer, type DataOf, type Identity } from '@simplebank/chassis';
import { eventually, startTestSystem, type TestSystem } from '@simplebank/chassis/testing';
import { feesContract } from '@simplebank/fees/contract';
import { feesService } from '@simplebank/fees/service';
import { marketContract } from '@simplebank/market/contract';
import { ordersContract } from '../src/contract.ts';
import { ordersService } from '../src/service.ts';
import { ordersSettings } from '../src/settings.ts';
import { FakeWorld } from './fake-collaborators.ts';

const alice: Identity = { customerId: 'alice', role: 'customer' };
const bob: Identity = { customerId: 'bob', role: 'customer' };

describe('placing orders (orders + fees + the saga engine)', () => {
  const world = new FakeWorld();
  let sys: TestSystem;
  let stubs: Consumer[] = [];
  let keyN = 0;

  before(async () => {
    sys = await startTestSystem([ordersService, feesService]);
    stubs = await Promise.all(world.stubs().map((s) => s(sys.transport)));
    // market's job queues: taken and acknowledged (the test reads what was sent from orders' outbox).
    for (const c of Object.values(marketContract.commands)) {
      stubs.push(
        await sys.transport.subscribe(
          { group: 'market', name: c.type, source: { kind: 'commands', queue: c.type }, prefetch: 100 },
          async () => ({ outcome: 'ack' }),
        ),
      );
    }
  });
  after(async () => {
    for (const s of stubs) await s.cancel();
    await sys?.stop({ drop: true });
  });

  const as = (who: Identity) => sys.callAs(who);
  const place = (
    who: Identity,
    req: { accountId: string; assetId: string; side: 'buy' | 'sell'; quantity: string },
    key = `k-${++keyN}`,
  ) => as(who)(ordersContract, 'placeOrder', req, { idempotencyKey: key });
  const getOrder = (id: string, who = alice) => as(who)(ordersContract, 'getOrder', { orderId: id });
  const statusIs = (id: string, status: string, who = alice) =>
    eventually(
      async () => {
        const o = await getOrder(id, who);
        return o.status === status ? o : undefined;
      },
      { message: `order ${id} to be ${status}` },
    );

  /** What orders sent to market (its outbox), for one order. */
  const sent = async <K extends keyof typeof marketContract.commands>(command: K, orderId: string) =>
    (await sys.outbox('orders').sent(marketContract.commands[command])).filter((d) => d.orderId === orderId);
  const sentOnce = <K extends keyof typeof marketContract.commands>(command: K, orderId: string) =>
    eventually(
      async () => {
        const s = await sent(command, orderId);
        return s.length > 0 ? s : undefined;
      },
      { message: `${command} for ${orderId}` },
    );

  /** Publishes one of market's events, as market would (now, keyed by the order). */
  const deliver = <E extends keyof typeof marketContract.events>(
    event: E,
    data: Omit<DataOf<(typeof marketContract.events)[E]>, 'at'>,
  ) =>
    sys.deliver(
      marketContract.events[event],
      { at: new Date().toISOString(), ...data } as DataOf<(typeof marketContract.events)[E]>,
      { key: data.orderId },
    );

  const feeEvents = async (type: 'FeeCharged' | 'FeeRefunded', orderId: string) =>
    (await sys.outbox('fees').published(feesContract.events[type])).filter((d) => d.orderId === orderId);

  it('a buy is reserved (quantity × limit rounded up), charged its fee, placed, filled and settled, once each', async () => {
    world.openAccount('acc-a', 'alice', '10000.00');
    world.prices.set('XYZ', '33.33');
    const order = await place(alice, { accountId: 'acc-a', assetId: 'XYZ', side: 'buy', quantity: '100.123457' });
    assert.equal(order.status, 'pending');
    assert.equal(order.quotePrice, '33.33');
    assert.equal(order.limitPrice, '35.00'); // 34.9965 half-up
    assert.equal(order.fee, '3.34'); // 0.001 × 100.123457 × 33.33 = 3.337…
    assert.equal(order.fillPrice, null);

    const [placement] = await sentOnce('PlaceOrderOnExchange', order.id);
    assert.deepEqual(
      { ...placement, placeBy: undefined },
      {
        orderId: order.id,
        assetId: 'XYZ',
        side: 'buy',
        quantity: '100.123457',
        limitPrice: '35.00',
        placeBy: undefined,
      },
    );
    assert.ok(new Date(placement!.placeBy!).getTime() > Date.now());
    // Reserved and charged before the placement went out.
    assert.deepEqual(
      world.effective('reserveCash', order.id).map((c) => c.request.amount),
      ['3504.33'],
    ); // 3504.320995 rounded up
    assert.deepEqual(
      world.effective('chargeFee', order.id).map((c) => c.request.amount),
      ['3.34'],
    );
    assert.deepEqual(world.cash('acc-a'), { available: '6492.33', reserved: '3504.33' });

    await deliver('OrderPlacedOnExchange', { orderId: order.id, exchangeOrderId: 'x-1' });
    assert.equal((await statusIs(order.id, 'placed')).fillPrice, null);
    await deliver('OrderFilledOnExchange', {
      orderId: order.id,
      exchangeOrderId: 'x-1',
      quantity: '100.123457',
      fillPrice: '34.10',
    });
    const filled = await statusIs(order.id, 'filled');
    assert.equal(filled.fillPrice, '34.10');
    assert.equal(filled.reason, null);
    assert.deepEqual(
      filled.history.map((h) => h.status),
      ['pending', 'placed', 'filled'],
    );

    const settles = world.effective('settleTrade', order.id);
    assert.equal(settles.length, 1);
    assert.deepEqual(
      { ...settles[0]!.request, reservationId: undefined },
      {
        reservationId: undefined,
        orderId: order.id,
        accountId: 'acc-a',
        side: 'buy',
        assetId: 'XYZ',
        quantity: '100.123457',
        fillPrice: '34.10',
      },
    );
    // q × F + fee: 100.123457 × 34.10 = 3414.2098… → 3414.21, plus 3.34.
    assert.deepEqual(world.cash('acc-a'), { available: '6582.45', reserved: '0.00' });
    assert.deepEqual(world.position('acc-a', 'XYZ'), { available: '100.123457', reserved: '0' });
    assert.equal(world.effective('refundFee', order.id).length, 0);
    assert.equal(world.effective('releaseReservation', order.id).length, 0);
    assert.equal((await feeEvents('FeeCharged', order.id)).length, 1);

    // A filled order cannot be canceled.
    await assert.rejects(
      as(alice)(ordersContract, 'cancelOrder', { orderId: order.id }),
      (e: unknown) => e instanceof AppError && e.status === 409 && e.code === 'order_not_cancelable',
    );
    // The status changes were published.
    const { rows } = await sys.databases
      .get('orders')!
      .db.query<{ body: string }>(
        "SELECT body FROM chassis_outbox WHERE destination = 'orders.OrderStatusChanged.v1' ORDER BY id",
      );
    const changes = rows.map((r) => JSON.parse(r.body).data).filter((d) => d.orderId === order.id);
    assert.deepEqual(
      changes.map((d) => `${d.status}:${d.fillPrice}`),
      ['pending:null', 'placed:null', 'filled:34.10'],
    );
    assert.equal(changes[0].customerId, 'alice');
  });

  it('a sell of shares the account does not have is rejected (insufficient_position), nothing charged', async () => {
    world.openAccount('acc-s', 'alice', '100.00', { ABC: '2' });
    const order = await place(alice, { accountId: 'acc-s', assetId: 'ABC', side: 'sell', quantity: '3' });
    assert.equal(order.limitPrice, '95.00');
    const rejected = await statusIs(order.id, 'rejected');
    assert.equal(rejected.reason, 'insufficient_position');
    assert.deepEqual(world.effective('chargeFee', order.id), []);
    assert.deepEqual(world.position('acc-s', 'ABC'), { available: '2', reserved: '0' });
    assert.deepEqual(world.cash('acc-s'), { available: '100.00', reserved: '0.00' });
  });

  it('a sell filled at F brings q × F − fee; a fill that overtakes the placement news still goes placed → filled', async () => {
    world.openAccount('acc-sell', 'alice', '0.00', { ABC: '5' });
    const order = await place(alice, { accountId: 'acc-sell', assetId: 'ABC', side: 'sell', quantity: '2' });
    assert.equal(order.limitPrice, '95.00');
    // Cash 0.00 pays no fee: the sell is refused at T3, its reservation released. Give it the fee first.
    assert.equal((await statusIs(order.id, 'rejected')).reason, 'insufficient_funds');
    assert.deepEqual(world.position('acc-sell', 'ABC'), { available: '5', reserved: '0' });
    assert.deepEqual(await sent('PlaceOrderOnExchange', order.id), []);
    world.available.set('acc-sell/USD', 100n);
    const second = await place(alice, { accountId: 'acc-sell', assetId: 'ABC', side: 'sell', quantity: '2' });
    await sentOnce('PlaceOrderOnExchange', second.id);
    assert.deepEqual(world.position('acc-sell', 'ABC'), { available: '3', reserved: '2' });
    await deliver('OrderFilledOnExchange', {
      orderId: second.id,
      exchangeOrderId: 'x-s',
      quantity: '2',
      fillPrice: '99.50',
    });
    const filled = await statusIs(second.id, 'filled');
    assert.deepEqual(
      filled.history.map((h) => h.status),
      ['pending', 'placed', 'filled'],
    );
    assert.equal(filled.fillPrice, '99.50');
    assert.deepEqual(world.cash('acc-sell'), { available: '199.00', reserved: '0.00' }); // 1.00 + 2 × 99.50 − 1.00
    assert.deepEqual(world.position('acc-sell', 'ABC'), { available: '3', reserved: '0' });
    assert.equal(world.effective('settleTrade', second.id).length, 1);
  });

  it('refuses an order whose notional (quantity × limit price) is over the limit: 422 limit_exceeded on /quantity, nothing stored', async () => {
    world.openAccount('acc-big', 'alice', '100000000.00', { HUGE: '999999999999' });
    world.prices.set('HUGE', '999999999999999.99'); // a price older than the limit on prices must not break it
    world.prices.set('MAXP', '1000000.00');
    const refused = (e: unknown) => {
      assert.ok(e instanceof AppError && e.code === 'limit_exceeded' && e.status === 422, String(e));
      assert.deepEqual(
        e.errors?.map((x) => x.path),
        ['/quantity'],
      );
      return true;
    };
    await assert.rejects(place(alice, { accountId: 'acc-big', assetId: 'HUGE', side: 'buy', quantity: '1' }), refused);
    await assert.rejects(
      place(alice, { accountId: 'acc-big', assetId: 'HUGE', side: 'sell', quantity: '999999999999' }),
      refused,
    );
    // 10 × 1 050 000.00 = 10 500 000.00 > 10 000 000.00; 9 × is within.
    await assert.rejects(place(alice, { accountId: 'acc-big', assetId: 'MAXP', side: 'buy', quantity: '10' }), refused);
    await assert.rejects(
      place(alice, { accountId: 'acc-big', assetId: 'ABC', side: 'buy', quantity: '95238.096' }),
      refused,
    );
    const { rows } = await sys.databases
      .get('orders')!
      .db.query<{ n: string }>("SELECT count(*)::text AS n FROM orders WHERE account_id = 'acc-big'");
    assert.equal(rows[0]!.n, '0');
    const within = await place(alice, { accountId: 'acc-big', assetId: 'MAXP', side: 'buy', quantity: '9' });
    assert.equal(within.limitPrice, '1050000.00');
    await sentOnce('PlaceOrderOnExchange', within.id);
  });

  it('not enough cash to reserve: rejected with insufficient_funds, nothing charged or placed', async () => {
    world.openAccount('acc-poor', 'alice', '10.00');
    const order = await place(alice, { accountId: 'acc-poor', assetId: 'ABC', side: 'buy', quantity: '10' });
    const rejected = await statusIs(order.id, 'rejected');
    assert.equal(rejected.reason, 'insufficient_funds');
    assert.deepEqual(
      rejected.history.map((h) => `${h.status}:${h.reason ?? ''}`),
      ['pending:', 'rejected:insufficient_funds'],
    );
    assert.deepEqual(world.effective('reserveCash', order.id), []);
    assert.deepEqual(world.effective('chargeFee', order.id), []);
    assert.deepEqual(await sent('PlaceOrderOnExchange', order.id), []);
    assert.deepEqual(world.cash('acc-poor'), { available: '10.00', reserved: '0.00' });
  });

  it('enough to reserve but not for the fee: rejected, the reservation released once', async () => {
    world.openAccount('acc-tight', 'alice', '1050.00');
    const order = await place(alice, { accountId: 'acc-tight', assetId: 'ABC', side: 'buy', quantity: '10' });
    assert.equal(order.fee, '1.00');
    const rejected = await statusIs(order.id, 'rejected');
    assert.equal(rejected.reason, 'insufficient_funds');
    assert.deepEqual(
      world.effective('reserveCash', order.id).map((c) => c.request.amount),
      ['1050.00'],
    );
    assert.equal(world.effective('chargeFee', order.id).length, 0);
    assert.equal(world.effective('releaseReservation', order.id).length, 1);
    assert.deepEqual(await sent('PlaceOrderOnExchange', order.id), []);
    assert.deepEqual(world.cash('acc-tight'), { available: '1050.00', reserved: '0.00' });
    assert.equal(world.effective('refundFee', order.id).length, 0);
  });

  it('the exchange refuses the order: failed (exchange_rejected), fee refunded and reservation released, once each', async () => {
    world.openAccount('acc-f', 'alice', '5000.00');
    const order = await place(alice, { accountId: 'acc-f', assetId: 'ABC', side: 'buy', quantity: '10' });
    await sentOnce('PlaceOrderOnExchange', order.id);
    await deliver('OrderPlacementFailed', { orderId: order.id, reason: 'exchange_rejected' });
    await deliver('OrderPlacementFailed', { orderId: order.id, reason: 'exchange_rejected' }); // market said it twice
    const failed = await statusIs(order.id, 'failed');
    assert.equal(failed.reason, 'exchange_rejected');
    assert.deepEqual(
      failed.history.map((h) => h.status),
      ['pending', 'failed'],
    );
    assert.equal(world.effective('chargeFee', order.id).length, 1);
    assert.deepEqual(
      world.effective('refundFee', order.id).map((c) => c.request.amount),
      ['1.00'],
    );
    assert.equal(world.effective('releaseReservation', order.id).length, 1);
    assert.deepEqual(world.cash('acc-f'), { available: '5000.00', reserved: '0.00' });
    assert.equal((await feeEvents('FeeRefunded', order.id)).length, 1);
  });

  it('not filled by its expiry: CancelOrderOnExchange(expired), then expired and compensated', async () => {
    const saved = ordersSettings.value;
    ordersSettings.load({ ...process.env, ORDER_TTL_SECONDS: '2' });
    try {
      world.openAccount('acc-e', 'alice', '5000.00');
      const order = await place(alice, { accountId: 'acc-e', assetId: 'ABC', side: 'buy', quantity: '10' });
      await sentOnce('PlaceOrderOnExchange', order.id);
      await deliver('OrderPlacedOnExchange', { orderId: order.id, exchangeOrderId: 'x-e' });
      const [cancel] = await sentOnce('CancelOrderOnExchange', order.id);
      assert.deepEqual(cancel, { orderId: order.id, reason: 'expired' });
      assert.notEqual((await getOrder(order.id)).status, 'expired'); // until the exchange confirms
      await deliver('OrderCanceledOnExchange', { orderId: order.id, reason: 'expired' });
      const expired = await statusIs(order.id, 'expired');
      assert.equal(expired.reason, 'expired');
      assert.equal(expired.history.at(-1)!.status, 'expired');
      assert.equal(world.effective('refundFee', order.id).length, 1);
      assert.equal(world.effective('releaseReservation', order.id).length, 1);
      assert.deepEqual(world.cash('acc-e'), { available: '5000.00', reserved: '0.00' });
      assert.equal((await sent('CancelOrderOnExchange', order.id)).length, 1);
    } finally {
      ordersSettings.load({ ...process.env, ORDER_TTL_SECONDS: String(saved.ORDER_TTL_SECONDS) });
    }
  });

  it('canceled before placement: the saga is interrupted and compensates; nothing reaches market', async () => {
    world.openAccount('acc-c1', 'alice', '5000.00');
    world.flaky.add('acc-c1'); // the ledger is slow to reserve: the saga retries, still before placement
    const order = await place(alice, { accountId: 'acc-c1', assetId: 'ABC', side: 'buy', quantity: '10' });
    await eventually(() => world.calls.some((c) => c.method === 'reserveCash' && c.request.orderId === order.id), {
      message: 'a reserve attempt',
    });
    const answer = await as(alice)(ordersContract, 'cancelOrder', { orderId: order.id });
    assert.equal(answer.status, 'pending');
    world.flaky.delete('acc-c1');
    const canceled = await statusIs(order.id, 'canceled');
    assert.equal(canceled.reason, 'canceled_by_customer');
    assert.deepEqual(
      canceled.history.map((h) => h.status),
      ['pending', 'canceled'],
    );
    assert.deepEqual(await sent('PlaceOrderOnExchange', order.id), []);
    assert.deepEqual(await sent('CancelOrderOnExchange', order.id), []);
    assert.equal(world.effective('chargeFee', order.id).length, 0);
    assert.deepEqual(world.cash('acc-c1'), { available: '5000.00', reserved: '0.00' });
    await assert.rejects(
      as(alice)(ordersContract, 'cancelOrder', { orderId: order.id }),
      (e: unknown) => e instanceof AppError && e.code === 'order_not_cancelable',
    );
  });

  it('canceled after placement: market is asked to cancel, and the confirmed cancel compensates', async () => {
    world.openAccount('acc-c2', 'alice', '5000.00');
    const order = await place(alice, { accountId: 'acc-c2', assetId: 'ABC', side: 'buy', quantity: '10' });
    await sentOnce('PlaceOrderOnExchange', order.id);
    await deliver('OrderPlacedOnExchange', { orderId: order.id, exchangeOrderId: 'x-c2' });
    await statusIs(order.id, 'placed');
    const answer = await as(alice)(ordersContract, 'cancelOrder', { orderId: order.id });
    assert.equal(answer.status, 'placed');
    assert.deepEqual(await sent('CancelOrderOnExchange', order.id), [
      { orderId: order.id, reason: 'canceled_by_customer' },
    ]);
    await deliver('OrderCanceledOnExchange', { orderId: order.id, reason: 'canceled_by_customer' });
    const canceled = await statusIs(order.id, 'canceled');
    assert.equal(canceled.reason, 'canceled_by_customer');
    assert.deepEqual(
      canceled.history.map((h) => h.status),
      ['pending', 'placed', 'canceled'],
    );
    assert.equal(world.effective('refundFee', order.id).length, 1);
    assert.equal(world.effective('releaseReservation', order.id).length, 1);
    assert.deepEqual(world.cash('acc-c2'), { available: '5000.00', reserved: '0.00' });
  });

  it('placeOrder is idempotent: the same key answers the same order, and one saga runs', async () => {
    world.openAccount('acc-i', 'alice', '5000.00');
    const req = { accountId: 'acc-i', assetId: 'ABC', side: 'buy' as const, quantity: '1' };
    const first = await place(alice, req, 'same-key');
    const again = await place(alice, req, 'same-key');
    assert.deepEqual(again, first);
    await sentOnce('PlaceOrderOnExchange', first.id);
    const { rows } = await sys.databases.get('orders')!.db.query("SELECT id FROM orders WHERE account_id = 'acc-i'");
    assert.equal(rows.length, 1);
    assert.equal(world.effective('reserveCash', first.id).length, 1);
    assert.equal(world.effective('chargeFee', first.id).length, 1);
  });

  it("refuses bad orders: zero quantity, unknown asset, another customer's account; orders are private", async () => {
    world.openAccount('acc-b', 'bob', '100.00');
    await assert.rejects(
      place(alice, { accountId: 'acc-a', assetId: 'ABC', side: 'buy', quantity: '0' }),
      (e: unknown) => e instanceof AppError && e.code === 'validation_failed' && e.errors?.[0]?.path === '/quantity',
    );
    await assert.rejects(
      place(alice, { accountId: 'acc-a', assetId: 'NOPE', side: 'buy', quantity: '1' }),
      (e: unknown) => e instanceof AppError && e.code === 'not_found' && /asset/i.test(e.message),
    );
    await assert.rejects(
      place(alice, { accountId: 'acc-b', assetId: 'ABC', side: 'buy', quantity: '1' }),
      (e: unknown) => e instanceof AppError && e.code === 'not_found',
    );
    world.accounts.set('acc-closed', { ownerId: 'alice', status: 'closed' });
    await assert.rejects(
      place(alice, { accountId: 'acc-closed', assetId: 'ABC', side: 'buy', quantity: '1' }),
      (e: unknown) => e instanceof AppError && e.status === 422 && e.code === 'account_closed',
    );
    await assert.rejects(
      place({ customerId: 'ops', role: 'admin' }, { accountId: 'acc-a', assetId: 'ABC', side: 'buy', quantity: '1' }),
      (e: unknown) => e instanceof AppError && e.status === 403,
    );
    const bobs = await place(bob, { accountId: 'acc-b', assetId: 'ABC', side: 'buy', quantity: '0.5' });
    await assert.rejects(getOrder(bobs.id, alice), (e: unknown) => e instanceof AppError && e.code === 'not_found');
    await assert.rejects(
      as(alice)(ordersContract, 'cancelOrder', { orderId: bobs.id }),
      (e: unknown) => e instanceof AppError && e.code === 'not_found',
    );
    assert.ok((await as(alice)(ordersContract, 'listOrders', {})).items.every((o) => o.accountId !== 'acc-b'));
  });

  it("lists the caller's orders newest first, by account and status, page by page", async () => {
    const all = await as(alice)(ordersContract, 'listOrders', {});
    assert.ok(all.items.length >= 8);
    const created = all.items.map((o) => o.createdAt);
    assert.deepEqual(created, [...created].sort().reverse());
    const rejected = await as(alice)(ordersContract, 'listOrders', { status: 'rejected' });
    assert.ok(rejected.items.length >= 3 && rejected.items.every((o) => o.status === 'rejected'));
    const byAccount = await as(alice)(ordersContract, 'listOrders', { accountId: 'acc-a' });
    assert.deepEqual(
      byAccount.items.map((o) => o.accountId),
      ['acc-a'],
    );
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await as(alice)(ordersContract, 'listOrders', { limit: 3, ...(cursor ? { cursor } : {}) });
      assert.ok(page.items.length <= 3);
      seen.push(...page.items.map((o) => o.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    assert.deepEqual(
      seen,
      all.items.map((o) => o.id),
    );
  });

  it("lists the first page of several accounts' orders in one call, each as listOrders answers it; nothing of another customer's", async () => {
    const all = await as(alice)(ordersContract, 'listOrders', { limit: 200 });
    const accounts = [...new Set(all.items.map((o) => o.accountId))];
    assert.ok(accounts.length >= 2, `alice trades on several accounts: ${accounts.join(', ')}`);
    const { items } = await as(alice)(ordersContract, 'listOrdersOf', {
      accountIds: [...accounts, 'acc-nobody'],
      limit: 2,
    });
    assert.deepEqual(
      items.map((p) => p.accountId),
      [...accounts, 'acc-nobody'],
    );
    for (const [i, accountId] of accounts.entries())
      assert.deepEqual(
        items[i],
        { accountId, ...(await as(alice)(ordersContract, 'listOrders', { accountId, limit: 2 })) },
        accountId,
      );
    assert.deepEqual(items.at(-1), { accountId: 'acc-nobody', items: [], nextCursor: null });
    // bob reads none of alice's orders, whatever accounts he names; by status too.
    const asBob = await as(bob)(ordersContract, 'listOrdersOf', { accountIds: accounts, limit: 2 });
    assert.ok(asBob.items.every((p) => p.items.every((o) => !all.items.some((a) => a.id === o.id))));
    const rejected = await as(alice)(ordersContract, 'listOrdersOf', { accountIds: accounts, status: 'rejected' });
    assert.ok(rejected.items.flatMap((p) => p.items).every((o) => o.status === 'rejected'));
  });
});
