/** The table of dependencies: a target's row over the `*` row over the defaults, and one breaker and bulkhead per (service, target). */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { DEFAULT_TARGET_POLICY, breakers, bulkheads, callPolicy, targetPolicy } from '../src/index.ts';

describe('the table of dependencies', () => {
  afterEach(() => {
    breakers.clear();
    bulkheads.clear();
  });

  it("takes a target's row over the '*' row over the defaults, part by part", () => {
    const table = {
      '*': { timeoutMs: 2000, breaker: { failureRate: 0.3 } },
      exchange: { maxAttempts: 1, breaker: { critical: true }, bulkhead: { limit: 8 } },
    };
    const exchange = targetPolicy(table, 'exchange');
    assert.equal(exchange.timeoutMs, 2000);
    assert.equal(exchange.maxAttempts, 1);
    assert.deepEqual(
      [exchange.breaker.failureRate, exchange.breaker.critical, exchange.breaker.windowMs],
      [0.3, true, DEFAULT_TARGET_POLICY.breaker.windowMs],
    );
    assert.deepEqual(exchange.bulkhead, { limit: 8, queue: DEFAULT_TARGET_POLICY.bulkhead.queue });
    const other = targetPolicy(table, 'fees');
    assert.deepEqual(
      [other.timeoutMs, other.maxAttempts, other.breaker.critical, other.bulkhead.limit],
      [2000, DEFAULT_TARGET_POLICY.maxAttempts, false, DEFAULT_TARGET_POLICY.bulkhead.limit],
    );
    assert.deepEqual(targetPolicy({}, 'fees'), DEFAULT_TARGET_POLICY, 'an empty table is the defaults');
  });

  it('gives each (service, target) one breaker and one bulkhead, which the service forgets when it stops', () => {
    const a = callPolicy('orders', 'fees');
    const b = callPolicy('orders', 'fees');
    assert.equal(a.options.breaker, b.options.breaker);
    assert.equal(a.bulkhead, b.bulkhead);
    assert.notEqual(callPolicy('orders', 'market').options.breaker, a.options.breaker);
    assert.notEqual(callPolicy('payments', 'fees').options.breaker, a.options.breaker);
    breakers.forget('orders');
    bulkheads.forget('orders');
    assert.equal(breakers.find('orders', 'fees'), undefined);
    assert.ok(breakers.find('payments', 'fees'), "another service's stay");
    assert.notEqual(callPolicy('orders', 'fees').options.breaker, a.options.breaker);
  });
});
