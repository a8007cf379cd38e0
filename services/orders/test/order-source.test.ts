/**
 * Orders carry their source (issue 11): `customer` by default, `strategy` with its investment when
 * strategy-orders places them — stored, answered and published — and only strategy-orders may say
 * `strategy` or bound a buy's limit price.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AppError, caller, type Consumer, type Identity } from '@simplebank/chassis';
import { eventually, startTestSystem, type TestSystem } from '@simplebank/chassis/testing';
import { feesService } from '@simplebank/fees/service';
import { marketContract } from '@simplebank/market/contract';
import { ordersContract } from '../src/contract.ts';
import { ordersService } from '../src/service.ts';
import { FakeWorld } from './fake-collaborators.ts';

const carol: Identity = { customerId: 'carol', role: 'customer' };

describe('the source of an order', () => {
  const world = new FakeWorld();
  let sys: TestSystem;
  let stubs: Consumer[] = [];
  let keyN = 0;

  before(async () => {
    sys = await startTestSystem([ordersService, feesService]);
    stubs = await Promise.all(world.stubs().map((s) => s(sys.transport)));
    for (const c of Object.values(marketContract.commands)) {
      stubs.push(
        await sys.transport.subscribe(
          { group: 'market', name: c.type, source: { kind: 'commands', queue: c.type }, prefetch: 100 },
          async () => ({ outcome: 'ack' }),
        ),
      );
    }
    world.openAccount('acc-src', 'carol', '100000.00');
  });
  after(async () => {
    for (const s of stubs) await s.cancel();
    await sys?.stop({ drop: true });
  });

  /** Calls orders as the customer, through the named service (the envelope's source). */
  const through = (service: string) =>
    caller(sys.transport, service, () => ({ correlationId: `test-${service}`, identity: carol }));
  const place = (service: string, req: Record<string, unknown>) =>
    through(service)(
      ordersContract,
      'placeOrder',
      { accountId: 'acc-src', assetId: 'ABC', side: 'buy', quantity: '1', ...req } as never,
      { idempotencyKey: `src-${++keyN}` },
    );
  const published = async (orderId: string) => {
    const { rows } = await sys.databases
      .get('orders')!
      .db.query<{ body: string }>(
        "SELECT body FROM chassis_outbox WHERE destination = 'orders.OrderStatusChanged.v1' ORDER BY id",
      );
    return rows.map((r) => JSON.parse(r.body).data as Record<string, unknown>).filter((d) => d.orderId === orderId);
  };
  const refused = (status: number, code: string, path?: string) => (e: unknown) => {
    assert.ok(e instanceof AppError, String(e));
    assert.equal(e.code, code, e.message);
    assert.equal(e.status, status);
    if (path)
      assert.deepEqual(
        e.errors?.map((f) => f.path),
        [path],
      );
    return true;
  };

  it("an order without a source is the customer's: answered, stored and published as such", async () => {
    const order = await place('gateway', {});
    assert.equal(order.source, 'customer');
    assert.equal(order.investmentId, undefined);
    const [event] = await published(order.id);
    assert.equal(event!.source, 'customer');
    assert.equal('investmentId' in event!, false);
  });

  it('strategy-orders places a strategy order for an investment: the source and investment are on the order and its events', async () => {
    const order = await place('strategy-orders', { source: 'strategy', investmentId: 'inv-1' });
    assert.equal(order.source, 'strategy');
    assert.equal(order.investmentId, 'inv-1');
    assert.deepEqual(
      await through('gateway')(ordersContract, 'getOrder', { orderId: order.id }).then((o) => [
        o.source,
        o.investmentId,
      ]),
      ['strategy', 'inv-1'],
    );
    const listed = await through('gateway')(ordersContract, 'listOrders', { accountId: 'acc-src' });
    assert.equal(listed.items.find((o) => o.id === order.id)?.source, 'strategy');
    // Every status change carries it, not only the first.
    const changes = await eventually(async () => {
      const c = await published(order.id);
      return c.length >= 1 ? c : undefined;
    });
    for (const c of changes) assert.deepEqual([c.source, c.investmentId], ['strategy', 'inv-1']);
  });

  it('only strategy-orders may place a strategy order (403 for the gateway or anyone else); nothing is stored', async () => {
    await assert.rejects(place('gateway', { source: 'strategy', investmentId: 'inv-x' }), refused(403, 'forbidden'));
    await assert.rejects(place('test', { source: 'strategy', investmentId: 'inv-x' }), refused(403, 'forbidden'));
    const { rows } = await sys.databases.get('orders')!.db.query("SELECT 1 FROM orders WHERE investment_id = 'inv-x'");
    assert.equal(rows.length, 0);
  });

  it('refuses an inconsistent source: a strategy order needs its investment; a customer order takes neither investment nor bound', async () => {
    await assert.rejects(
      place('strategy-orders', { source: 'strategy' }),
      refused(400, 'validation_failed', '/investmentId'),
    );
    await assert.rejects(
      place('strategy-orders', { investmentId: 'inv-2' }),
      refused(400, 'validation_failed', '/investmentId'),
    );
    await assert.rejects(
      place('gateway', { maxLimitPrice: '100.00' }),
      refused(400, 'validation_failed', '/maxLimitPrice'),
    );
    await assert.rejects(
      place('strategy-orders', { source: 'strategy', investmentId: 'inv-2', maxLimitPrice: '0.00' }),
      refused(400, 'validation_failed', '/maxLimitPrice'),
    );
    world.openAccount('acc-src-sell', 'carol', '100.00', { ABC: '1' });
    await assert.rejects(
      place('strategy-orders', {
        accountId: 'acc-src-sell',
        side: 'sell',
        source: 'strategy',
        investmentId: 'inv-2',
        maxLimitPrice: '90.00',
      }),
      refused(400, 'validation_failed', '/maxLimitPrice'),
    );
  });

  it("bounds a strategy buy's limit by maxLimitPrice: the reservation is quantity × the bound", async () => {
    // ABC quotes 100.00: the usual limit is 105.00; bounded at 103.00.
    const bounded = await place('strategy-orders', {
      quantity: '2',
      source: 'strategy',
      investmentId: 'inv-3',
      maxLimitPrice: '103.00',
    });
    assert.equal(bounded.limitPrice, '103.00');
    assert.equal(bounded.fee, '1.00');
    await eventually(() => world.effective('reserveCash', bounded.id).length === 1, {
      message: 'the bounded buy reserved',
    });
    assert.deepEqual(
      world.effective('reserveCash', bounded.id).map((c) => c.request.amount),
      ['206.00'],
    );
    // A bound above the usual limit changes nothing.
    const loose = await place('strategy-orders', {
      quantity: '2',
      source: 'strategy',
      investmentId: 'inv-3',
      maxLimitPrice: '500.00',
    });
    assert.equal(loose.limitPrice, '105.00');
  });
});
