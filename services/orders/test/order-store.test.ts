/**
 * An order's status change is one statement (store.transitionOrder): it moves the order only from a
 * status the rules allow, with exactly one history entry, and changes nothing otherwise.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestSystem, type TestSystem } from '@simplebank/chassis/testing';
import { statusesBefore } from '../src/domain/order.ts';
import { ordersService } from '../src/service.ts';
import * as store from '../src/store.ts';

describe('order status changes in the store', () => {
  let sys: TestSystem;
  before(async () => {
    sys = await startTestSystem([ordersService]);
  });
  after(async () => {
    await sys?.stop({ drop: true });
  });
  const db = () => sys.databases.get('orders')!.db;

  async function newOrder(id: string): Promise<store.OrderRow> {
    const now = new Date();
    return store.insertOrder(db(), {
      id,
      customerId: 'c-1',
      accountId: 'a-1',
      assetId: 'AAPL',
      side: 'buy',
      quantityMicros: 2_000_000n,
      quotePriceCents: 10_000n,
      limitPriceCents: 10_500n,
      feeCents: 101n,
      feeScheduleVersion: 1,
      createdAt: now,
      expiresAt: new Date(now.getTime() + 60_000),
      source: 'customer',
      investmentId: null,
    });
  }
  const move = (id: string, status: 'placed' | 'filled' | 'canceled', fillPriceCents?: bigint) =>
    store.transitionOrder(db(), id, {
      status,
      from: statusesBefore(status),
      reason: null,
      at: new Date(),
      fillPriceCents,
    });

  it('a new order is answered as stored', async () => {
    const answered = await newOrder('o-new');
    assert.deepEqual(
      { ...answered, history: answered.history.map((h) => ({ ...h, at: new Date(h.at).toISOString() })) },
      await store
        .getOrder(db(), 'o-new')
        .then((r) => r && { ...r, history: r.history.map((h) => ({ ...h, at: new Date(h.at).toISOString() })) }),
    );
  });

  it('moves pending → placed → filled, one history entry each, answering the order before and after', async () => {
    await newOrder('o-moves');
    const placed = await move('o-moves', 'placed');
    assert.equal(placed?.before.status, 'pending');
    assert.deepEqual(
      placed?.after?.history.map((h) => h.status),
      ['pending', 'placed'],
    );
    const filled = await move('o-moves', 'filled', 10_025n);
    assert.equal(filled?.after?.fill_price_cents, '10025');
    const read = await store.getOrder(db(), 'o-moves');
    assert.equal(read?.status, 'filled');
    assert.equal(read?.fill_price_cents, '10025');
    assert.deepEqual(
      read?.history.map((h) => h.status),
      ['pending', 'placed', 'filled'],
    );
  });

  it('a change the rules refuse, or a repeat, changes nothing and adds no history', async () => {
    await newOrder('o-refused');
    await move('o-refused', 'canceled');
    const refused = await move('o-refused', 'placed');
    assert.equal(refused?.before.status, 'canceled');
    assert.equal(refused?.after, undefined);
    const repeat = await move('o-refused', 'canceled');
    assert.equal(repeat?.after, undefined);
    const read = await store.getOrder(db(), 'o-refused');
    assert.equal(read?.status, 'canceled');
    assert.deepEqual(
      read?.history.map((h) => h.status),
      ['pending', 'canceled'],
    );
  });

  it('an unknown order is undefined', async () => {
    assert.equal(await move('o-none', 'placed'), undefined);
  });
});
