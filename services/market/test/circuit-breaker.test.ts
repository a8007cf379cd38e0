import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CircuitBreaker } from '../src/circuit-breaker.ts';

describe('the circuit breaker', () => {
  const policy = { threshold: 3, openMs: 100, maxOpenMs: 250 };

  it('stays closed below the threshold and after a success', () => {
    const b = new CircuitBreaker(policy);
    b.failure(0);
    b.failure(0);
    b.success();
    b.failure(0);
    b.failure(0);
    assert.equal(b.allow(0), true);
    assert.equal(b.state, 'closed');
  });

  it('opens after consecutive failures, lets one probe through after the back-off, and closes on its success', () => {
    const b = new CircuitBreaker(policy);
    for (let i = 0; i < 3; i++) b.failure(1000);
    assert.equal(b.state, 'open');
    assert.equal(b.allow(1050), false);
    assert.equal(b.retryAt(1050), 1100);
    assert.equal(b.allow(1100), true, 'the probe');
    assert.equal(b.state, 'half-open');
    assert.equal(b.allow(1100), false, 'only one probe at a time');
    b.success();
    assert.equal(b.state, 'closed');
    assert.equal(b.allow(1101), true);
  });

  it('a failed probe opens it again for longer, up to the cap', () => {
    const b = new CircuitBreaker(policy);
    for (let i = 0; i < 3; i++) b.failure(0);
    assert.equal(b.allow(100), true);
    b.failure(100);
    assert.equal(b.allow(250), false);
    assert.equal(b.retryAt(250), 300); // 200 ms the second time
    assert.equal(b.allow(300), true);
    b.failure(300);
    assert.equal(b.retryAt(300), 550); // capped at 250 ms
  });
});
