import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mulberry32 } from '../src/domain/prng.ts';
import { failsWith, fillsAt, parseFailureRate } from '../src/domain/rules.ts';

describe('the exchange rules', () => {
  it('fills a buy at or below its limit and a sell at or above', () => {
    assert.equal(fillsAt('buy', 10_500n, 10_000n), true);
    assert.equal(fillsAt('buy', 10_500n, 10_500n), true);
    assert.equal(fillsAt('buy', 10_500n, 10_501n), false);
    assert.equal(fillsAt('sell', 9_500n, 9_500n), true);
    assert.equal(fillsAt('sell', 9_500n, 9_499n), false);
  });

  it('reads a failure rate as a number or a decimal string, 0 to 1', () => {
    assert.equal(parseFailureRate(0), 0);
    assert.equal(parseFailureRate(1), 1_000_000);
    assert.equal(parseFailureRate(0.1), 100_000);
    assert.equal(parseFailureRate('0.25'), 250_000);
    assert.equal(parseFailureRate('1'), 1_000_000);
    assert.equal(parseFailureRate(1.5), undefined);
    assert.equal(parseFailureRate('1.01'), undefined);
    assert.equal(parseFailureRate('-0.1'), undefined);
    assert.equal(parseFailureRate('abc'), undefined);
  });

  it('fails every request at rate 1, none at 0, and about the share asked in between', () => {
    const next = mulberry32(1);
    let failed = 0;
    for (let i = 0; i < 10_000; i++) {
      const draw = next();
      assert.equal(failsWith(draw, 1_000_000), true);
      assert.equal(failsWith(draw, 0), false);
      if (failsWith(draw, 300_000)) failed++;
    }
    assert.ok(failed > 2_500 && failed < 3_500, `${failed} of 10000 at 30%`);
  });
});
