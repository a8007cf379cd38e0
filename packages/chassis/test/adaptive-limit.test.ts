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
    limit.sample(500, 100);
    assert.equal(limit.limit, 50);
    limit.sample(500, 100); // same burst: no second decrease
    assert.equal(limit.limit, 50);
    now = 1200;
    limit.sample(500, 100);
    assert.equal(limit.limit, 40, 'never below min');
  });
});
