import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  applyRate,
  divideHalfUp,
  formatMoney,
  formatQuantity,
  formatRate,
  notional,
  notionalRoundedUp,
  notionalTimesRate,
  parseMoney,
  parseQuantity,
  parseRate,
} from '../src/index.ts';

describe('money', () => {
  it('parses and formats two-decimal strings exactly', () => {
    assert.equal(parseMoney('1234.50'), 123450n);
    assert.equal(parseMoney('0.01'), 1n);
    assert.equal(parseMoney('-5.00'), -500n);
    assert.equal(formatMoney(123450n), '1234.50');
    assert.equal(formatMoney(-1n), '-0.01');
    assert.equal(formatMoney(0n), '0.00');
    for (const bad of ['1.5', '1.555', '1', '01.00', '1e3', ' 1.00', '1,00', '', 'NaN', '0x10.00'])
      assert.throws(() => parseMoney(bad), /two decimals/, bad);
  });

  it('parses and formats quantities with up to six decimals', () => {
    assert.equal(parseQuantity('10'), 10_000_000n);
    assert.equal(parseQuantity('0.125'), 125_000n);
    assert.equal(parseQuantity('0.000001'), 1n);
    assert.equal(formatQuantity(10_000_000n), '10');
    assert.equal(formatQuantity(125_000n), '0.125');
    assert.equal(formatQuantity(-1n), '-0.000001');
    for (const bad of ['0.1234567', '-1', '1.', '.5', '1e2', '']) assert.throws(() => parseQuantity(bad), bad);
  });

  it('rounds half-up at the cent, never through a float', () => {
    assert.equal(divideHalfUp(5n, 10n), 1n);
    assert.equal(divideHalfUp(4n, 10n), 0n);
    assert.equal(divideHalfUp(-5n, 10n), -1n);
    // 0.333333 × 0.03 = 0.00999999 → 0.01
    assert.equal(notional(333_333n, 3n), 1n);
    // 3 × 33.335 would be a float trap; here: 1.5 shares at 10.01 = 15.015 → 15.02
    assert.equal(notional(1_500_000n, 1001n), 1502n);
    assert.equal(notional(1_500_000n, 1000n), 1500n);
    // reservation rounds up: 0.1 × 0.05 = 0.005 → 0.01
    assert.equal(notionalRoundedUp(100_000n, 5n), 1n);
    assert.equal(notionalRoundedUp(1_000_000n, 5n), 5n);
  });

  it('applies rates exactly, rounding once', () => {
    const rate = parseRate('0.001');
    assert.deepEqual(rate, { numerator: 1n, denominator: 1000n });
    assert.equal(formatRate(rate), '0.001');
    assert.equal(applyRate(150_000n, rate), 150n); // 0.1% of 1500.00 = 1.50
    assert.equal(applyRate(500n, rate), 1n); // 0.005 → 0.01 half-up
    assert.equal(applyRate(499n, rate), 0n);
    assert.equal(notionalTimesRate(10_000_000n, 10_050n, rate), 101n); // 10 × 100.50 × 0.001 = 1.005 → 1.01
    assert.equal(formatRate(parseRate('1.05')), '1.05');
  });
});
