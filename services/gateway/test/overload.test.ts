/**
 * An overloaded refusal is passed on at once: 503 overloaded with Retry-After, and the gateway does
 * not ask again (placeOrder is idempotent, so other retryable failures are retried — not this one:
 * a retry is more load on what is past capacity, and makes the refusal slow).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OverloadedError } from '@simplebank/chassis';
import { stubService } from '@simplebank/chassis/testing';
import { customersContract } from '@simplebank/customers/contract';
import { ordersContract } from '@simplebank/orders/contract';
import { startGateway, token, type Gateway } from './helpers.ts';
import { ALICE } from './stubs.ts';

describe('gateway: overloaded', () => {
  let gw: Gateway;
  let calls = 0;
  before(async () => {
    gw = await startGateway([
      (t) => stubService(t, customersContract, { sessionActive: () => ({ active: true }) }),
      (t) =>
        stubService(t, ordersContract, {
          placeOrder: () => {
            calls++;
            throw new OverloadedError('SimpleBank is taking as many orders as it can finish');
          },
        }),
    ]);
  });
  after(() => gw.stop());

  it('answers 503 overloaded with Retry-After after one call, never retried', async () => {
    const r = await gw.request('POST', '/v1/orders', {
      token: await token(ALICE),
      headers: { 'idempotency-key': 'k-overload-1' },
      body: { accountId: 'acc-alice', assetId: 'AAPL', side: 'buy', quantity: '1' },
    });
    assert.equal(r.status, 503, r.text);
    assert.equal(r.body.code, 'overloaded');
    assert.equal(r.headers.get('retry-after'), '1');
    assert.ok(r.headers.get('x-request-id'));
    assert.equal(calls, 1, 'the refused call is not retried');
  });
});
