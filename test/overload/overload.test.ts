/**
 * Overload (issue 9, quality.md "Overload"): past capacity, new orders are refused at once — 503
 * problem details with Retry-After, nothing done for them — what was accepted completes, and the
 * system takes orders again by itself once the backlog clears. The all-in-one system runs with a
 * small fixed admission limit (8 pending orders) and an exchange slow enough (300 ms) that a burst
 * of 60 orders must overflow it. No timing is asserted: refusals are checked by what they leave
 * behind (no order, no money moved), not by how fast they came.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';

import { TERMINAL, cents, money, useSystem } from '../e2e/system.ts';

// A small, fixed admission limit, no rate limit in the way, and orders that live long enough for
// the accepted backlog to drain on a slow machine (the e2e default of 6 s expired some in CI).
const sys = useSystem({
  ORDER_INTAKE_INITIAL_LIMIT: '8',
  ORDER_INTAKE_MIN_LIMIT: '8',
  ORDER_INTAKE_MAX_LIMIT: '8',
  GATEWAY_RATE_LIMIT_PER_MINUTE: '0',
  ORDER_TTL_SECONDS: '600',
  PLACEMENT_WINDOW_SECONDS: '300',
});

describe('overload', () => {
  it('refuses the excess with 503 + Retry-After, completes what it accepted, and recovers by itself', async () => {
    const bank = sys.bank;
    const { customer, account } = await bank.fundedCustomer('10000.00');
    await bank.pinPrice('AAPL', '100.00');
    await bank.setExchange({ open: true, latencyMs: 300, failureRate: 0, fillDelayMs: 0 });
    try {
      const http = sys.http.as(customer.accessToken);
      const burst = await Promise.all(
        Array.from({ length: 60 }, () =>
          http.post(
            '/v1/orders',
            { accountId: account.id, assetId: 'AAPL', side: 'buy', quantity: '1' },
            { idempotencyKey: randomUUID() },
          ),
        ),
      );
      const accepted = burst.filter((r) => r.status === 202);
      const refused = burst.filter((r) => r.status !== 202);
      assert.ok(accepted.length > 0, 'some orders accepted');
      assert.ok(refused.length > 0, `the excess refused (accepted ${accepted.length} of 60)`);
      for (const r of refused) {
        assert.equal(r.status, 503, `a refusal is 503: ${r.status} ${r.text.slice(0, 200)}`);
        assert.match(r.contentType, /application\/problem\+json/);
        assert.equal(r.body?.code, 'overloaded');
        assert.ok(Number(r.headers.get('retry-after')) > 0, 'Retry-After on a refusal');
        assert.ok(r.headers.get('x-request-id'), 'X-Request-Id on a refusal');
      }

      // What was accepted completes (filled: the exchange is open and healthy, only slow).
      const ids = accepted.map((r) => r.body.id as string);
      const ended = await Promise.all(ids.map((id) => bank.waitForOrder(customer, id, TERMINAL)));
      assert.deepEqual(new Set(ended.map((o) => o.status)), new Set(['filled']));

      // A refused order left nothing: the account lists exactly the accepted orders, and only they moved money.
      const listed = await http.get(`/v1/orders?accountId=${account.id}&limit=100`);
      assert.equal(listed.status, 200);
      assert.deepEqual(new Set((listed.body.items as { id: string }[]).map((o) => o.id)), new Set(ids));
      const spent = ended.reduce((sum, o) => sum + cents(o.fillPrice!) + cents(o.fee), 0n);
      await bank.waitForCash(customer, account.id, money(1_000_000n - spent));

      // Recovery by itself: with the backlog gone, a new order is accepted and fills.
      await bank.setExchange({ latencyMs: 0 });
      const after = await bank.placeOrder(customer, {
        accountId: account.id,
        assetId: 'AAPL',
        side: 'buy',
        quantity: '1',
      });
      assert.equal((await bank.waitForOrder(customer, after.id, TERMINAL)).status, 'filled');
    } finally {
      await bank.setExchange({ latencyMs: 0 });
    }
  });
});
