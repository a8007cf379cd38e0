/**
 * Admission control: past the limit of pending orders a new order is refused at once with
 * `overloaded` (retryable), nothing of it stored; once orders leave `pending`, orders are taken again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AppError, newEnvelope, type Consumer, type Identity } from '@simplebank/chassis';
import { eventually, startTestSystem, type TestSystem } from '@simplebank/chassis/testing';
import { feesService } from '@simplebank/fees/service';
import { marketContract } from '@simplebank/market/contract';
import { ordersContract } from '../src/contract.ts';
import { ordersService } from '../src/service.ts';
import { FakeWorld } from './fake-collaborators.ts';

// A limit of two pending orders, fixed (min = max), for this process.
process.env.ORDER_INTAKE_INITIAL_LIMIT = '2';
process.env.ORDER_INTAKE_MIN_LIMIT = '2';
process.env.ORDER_INTAKE_MAX_LIMIT = '2';

const carol: Identity = { customerId: 'carol', role: 'customer' };

describe('admission control of new orders', () => {
  const world = new FakeWorld();
  let sys: TestSystem;
  const stubs: Consumer[] = [];
  let keyN = 0;

  before(async () => {
    sys = await startTestSystem([ordersService, feesService]);
    stubs.push(...(await Promise.all(world.stubs().map((s) => s(sys.transport)))));
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

  const place = () =>
    sys.callAs(carol)(
      ordersContract,
      'placeOrder',
      { accountId: 'acc-c', assetId: 'XYZ', side: 'buy', quantity: '1' },
      { idempotencyKey: `adm-${++keyN}` },
    );
  const placed = async (orderId: string) => {
    const type = marketContract.events.OrderPlacedOnExchange.type;
    const envelope = newEnvelope({
      type,
      version: 1,
      source: 'market',
      data: { orderId, exchangeOrderId: `x-${orderId}`, at: new Date().toISOString() },
      key: orderId,
    });
    await sys.transport.publish({
      destination: { kind: 'event', type },
      messageId: envelope.id,
      body: JSON.stringify(envelope),
    });
  };
  const count = async () =>
    (await sys.databases.get('orders')!.db.query<{ n: number }>('SELECT count(*)::int AS n FROM orders')).rows[0]!.n;

  it('refuses the order past the limit with a retryable overloaded, storing nothing, and takes orders again once some leave pending', async () => {
    world.openAccount('acc-c', 'carol', '10000.00');
    world.prices.set('XYZ', '10.00');
    const first = await place();
    const second = await place();
    assert.equal(first.status, 'pending');
    assert.equal(second.status, 'pending');

    await assert.rejects(
      place(),
      (e: unknown) => e instanceof AppError && e.code === 'overloaded' && e.status === 503 && e.retryable,
    );
    assert.equal(await count(), 2, 'the refused order left nothing behind');

    await placed(first.id);
    const third = await eventually(
      async () =>
        place().catch((e: unknown) =>
          e instanceof AppError && e.code === 'overloaded' ? undefined : Promise.reject(e),
        ),
      { message: 'an order to be taken again' },
    );
    assert.equal(third.status, 'pending');
    assert.equal(await count(), 3);
  });
});
