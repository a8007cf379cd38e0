import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AdaptiveLimit } from '../src/resilience/adaptive-limit.ts';

describe('the adaptive (AIMD) limit', () => {
  it('grows by one per timely sample while it is in use, and not while it is mostly idle', () => {
    const limit = new AdaptiveLimit({ initial: 10, min: 2, max: 12, targetMs: 100 });
    limit.sample(20, 1); // 1 in flight of 10: unused headroom, no growth
    assert.equal(limit.limit, 10);
    limit.sample(20, 9);
    limit.sample(20, 9);
    assert.equal(limit.limit, 12);
    limit.sample(20, 12);
    assert.equal(limit.limit, 12, 'never above max');
  });

  it('shrinks multiplicatively on a late sample, once per target period, never below min', () => {
    let now = 0;
    const limit = new AdaptiveLimit({ initial: 100, min: 40, max: 200, targetMs: 100, backoff: 0.5 }, () => now);
    now = 1000;
    limit.sample(20, 10); // the unloaded latency: 20 ms
    limit.sample(500, 100);
    assert.equal(limit.limit, 50);
    limit.sample(500, 100); // same burst: no second decrease
    assert.equal(limit.limit, 50);
    now = 1200;
    limit.sample(500, 100);
    assert.equal(limit.limit, 40, 'never below min');
  });

  it('judges lateness against the machine: on one whose unloaded latency is near the target, a sample under twice it is not late', () => {
    let now = 0;
    const limit = new AdaptiveLimit({ initial: 64, min: 8, max: 100, targetMs: 250, backoff: 0.5 }, () => now);
    now = 1000;
    limit.sample(300, 2); // the fastest this machine does: 300 ms, above the target
    now = 2000;
    limit.sample(450, 40);
    assert.equal(limit.limit, 65, 'keeping up: grows, no decrease');
    now = 3000;
    limit.sample(900, 40); // three times the unloaded latency: queueing
    assert.equal(limit.limit, 32);
  });
});
