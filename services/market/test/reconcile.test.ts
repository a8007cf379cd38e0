import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ExchangeOrderView } from '../src/exchange-client.ts';
import { followDelay } from '../src/jobs.ts';
import { mismatchOf } from '../src/reconcile.ts';
import type { JobRow } from '../src/store.ts';

const job = {
  order_id: 'o-1',
  asset_id: 'AAPL',
  side: 'buy',
  quantity_micros: '2500000',
  limit_price_cents: '10500',
  exchange_order_id: 'x-1',
} as JobRow;
const order: ExchangeOrderView = {
  id: 'x-1',
  clientOrderId: 'o-1',
  assetId: 'AAPL',
  side: 'buy',
  quantity: '2.5',
  limitPrice: '105.00',
  status: 'filled',
  fillPrice: '104.99',
  filledAt: new Date().toISOString(),
  reason: null,
  createdAt: new Date().toISOString(),
};

describe('reconciling the exchange order with the job', () => {
  it('accepts the order as placed, filled within the limit', () => {
    assert.equal(mismatchOf(job, order), undefined);
    assert.equal(mismatchOf(job, { ...order, fillPrice: '105.00' }), undefined);
    assert.equal(mismatchOf({ ...job, side: 'sell' }, { ...order, side: 'sell', fillPrice: '105.01' }), undefined);
    assert.equal(
      mismatchOf({ ...job, exchange_order_id: null }, { ...order, status: 'open', fillPrice: null }),
      undefined,
    );
  });

  it('names every difference: ids, asset, side, quantity, limit, a fill outside the limit or without a price', () => {
    assert.match(mismatchOf(job, { ...order, clientOrderId: 'o-2' })!, /clientOrderId o-2/);
    assert.match(mismatchOf(job, { ...order, id: 'x-2' })!, /id x-2/);
    assert.match(mismatchOf(job, { ...order, assetId: 'MSFT' })!, /asset MSFT/);
    assert.match(mismatchOf(job, { ...order, side: 'sell' })!, /side sell/);
    assert.match(mismatchOf(job, { ...order, quantity: '25' })!, /quantity 25/);
    assert.match(mismatchOf(job, { ...order, limitPrice: '999.00' })!, /limit 999\.00/);
    assert.match(mismatchOf(job, { ...order, fillPrice: '105.01' })!, /fill price 105\.01 outside the limit/);
    assert.match(
      mismatchOf({ ...job, side: 'sell' }, { ...order, side: 'sell', fillPrice: '104.99' })!,
      /outside the limit/,
    );
    assert.match(mismatchOf(job, { ...order, fillPrice: null })!, /without a price/);
    assert.match(mismatchOf(job, { ...order, quantity: 'lots' })!, /quantity lots/);
  });
});

describe('the safety-net poll of a placed order', () => {
  it('starts at pollMs and doubles up to pollMaxMs', () => {
    const deps = { pollMs: 2000, pollMaxMs: 30_000 };
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 100].map((n) => followDelay(n, deps)),
      [2000, 4000, 8000, 16000, 30_000, 30_000, 30_000],
    );
  });
});
