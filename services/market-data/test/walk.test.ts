import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mulberry32 } from '../src/domain/prng.ts';
import { maxStep, shouldPublish, stepPrice, walk } from '../src/domain/walk.ts';

const start = [
  { id: 'AAA', priceCents: 10_000n },
  { id: 'BBB', priceCents: 250n },
  { id: 'CCC', priceCents: 1n },
];

function run(seed: number, ticks: number) {
  const next = mulberry32(seed);
  let prices = start;
  const trace: bigint[][] = [];
  for (let i = 0; i < ticks; i++) {
    prices = walk(prices, next);
    trace.push(prices.map((p) => p.priceCents));
  }
  return trace;
}

describe('the random walk', () => {
  it('is repeatable with a fixed seed', () => {
    assert.deepEqual(run(42, 200), run(42, 200));
  });

  it('differs with another seed', () => {
    assert.notDeepEqual(run(42, 50), run(43, 50));
  });

  it('moves by small whole-cent steps (at most 0.5%, at least one cent) and never below 0.01', () => {
    const trace = run(7, 2000);
    let previous = start.map((p) => p.priceCents);
    let moved = 0;
    for (const prices of trace) {
      prices.forEach((p, i) => {
        assert.ok(p >= 1n, `price ${p} below one cent`);
        const diff = p > previous[i]! ? p - previous[i]! : previous[i]! - p;
        assert.ok(diff <= maxStep(previous[i]!), `step ${diff} too large from ${previous[i]}`);
        if (diff > 0n) moved++;
      });
      previous = prices;
    }
    assert.ok(moved > 1000, 'prices do move');
  });

  it('a price at the limit on prices (1000000.00) can only stay or go down', () => {
    for (let draw = 0; draw < 2000; draw += 7) assert.ok(stepPrice(100_000_000n, draw) <= 100_000_000n);
    assert.ok(stepPrice(99_999_999n, 2 * 499_999) <= 100_000_000n);
  });

  it('a one-cent price can only stay or go up', () => {
    for (let draw = 0; draw < 10; draw++) assert.ok(stepPrice(1n, draw) >= 1n);
    assert.equal(stepPrice(1n, 0), 1n); // draw 0 is the largest step down, clamped at 0.01
  });

  it('the PRNG gives the same sequence for the same seed', () => {
    const a = mulberry32(1);
    const b = mulberry32(1);
    for (let i = 0; i < 10; i++) assert.equal(a(), b());
  });
});

describe('the PriceChanged throttle', () => {
  it('publishes a first price, a change after the throttle, and nothing within it or without change', () => {
    assert.equal(shouldPublish(100n, null, null, 1000, 1000), true);
    assert.equal(shouldPublish(101n, 100n, 500, 1000, 1000), false);
    assert.equal(shouldPublish(101n, 100n, 0, 1000, 1000), true);
    assert.equal(shouldPublish(100n, 100n, 0, 5000, 1000), false);
  });
});
