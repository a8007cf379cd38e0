/** The fee rule, pure: max(minimum, rate × quantity × price), half-up to the cent. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatMoney } from '@simplebank/money';
import { feeFor, validRate } from '../src/domain/fee.ts';

const standard = { minimum: 100n, rate: '0.001' };
const fee = (q: string, p: string, s = standard) => formatMoney(feeFor(s, q, p));

describe('fee rule', () => {
  it('the minimum applies to small orders', () => {
    assert.equal(fee('1', '10.00'), '1.00'); // 0.01 < 1.00
    assert.equal(fee('10', '99.99'), '1.00'); // 0.9999 < 1.00
    assert.equal(fee('0.000001', '0.01'), '1.00');
  });

  it('0.1% of the notional above the minimum', () => {
    assert.equal(fee('10', '150.00'), '1.50');
    assert.equal(fee('100', '250.00'), '25.00');
    assert.equal(fee('3', '1234.56'), '3.70'); // 3.70368
  });

  it('rounds half-up to the cent, once, from the exact product', () => {
    assert.equal(fee('1', '1005.00'), '1.01'); // 1.005 → 1.01
    assert.equal(fee('1', '1004.99'), '1.00'); // 1.00499 → 1.00
    assert.equal(fee('0.5', '3009.00'), '1.50'); // 1.5045 → 1.50
    assert.equal(fee('0.5', '3010.00'), '1.51'); // 1.505 → 1.51
    // Rounding the notional first would give 2.00 × ... : the product is rounded once.
    assert.equal(fee('1.000001', '1500.00', { minimum: 0n, rate: '0.001' }), '1.50'); // 1.5000015
  });

  it('follows another schedule', () => {
    assert.equal(fee('10', '150.00', { minimum: 250n, rate: '0.002' }), '3.00');
    assert.equal(fee('10', '100.00', { minimum: 250n, rate: '0.002' }), '2.50');
  });

  it('a rate must be below 1', () => {
    assert.equal(validRate('0.001'), true);
    assert.equal(validRate('0'), true);
    assert.equal(validRate('1'), false);
    assert.equal(validRate('1.5'), false);
  });
});
