/**
 * The web app's money (apps/web/src/money.ts), in npm test (no browser needed): formatting works on
 * the API's strings, and the order review equals what the orders and fees services charge
 * (limit = quote × 1.05 / × 0.95 half-up; fee = max(minimum, rate × quantity × quote) half-up).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { quantity, review, usd } from '../src/money.ts';

const schedule = { minimum: '1.00', rate: '0.001' };

test('usd groups thousands on the string, keeps the cents and the sign', () => {
  assert.equal(usd('0.00'), '$0.00');
  assert.equal(usd('1000.00'), '$1,000.00');
  assert.equal(usd('-1234567.05'), '-$1,234,567.05');
  // Wider than a double's exact integers: still exact, since it is never a number.
  assert.equal(usd('123456789012345678.99'), '$123,456,789,012,345,678.99');
});

test('quantity drops the trailing zeros of six decimals', () => {
  assert.equal(quantity('2.000000'), '2');
  assert.equal(quantity('0.125000'), '0.125');
  assert.equal(quantity('10'), '10');
});

test('a buy: the limit 5 % above the quote, the minimum fee, the most it can cost', () => {
  assert.deepEqual(review('buy', '2', '228.97', schedule), {
    quote: '228.97',
    limitPrice: '240.42',
    notional: '457.94',
    fee: '1.00',
    bound: '481.84',
  });
});

test('a sell: the limit 5 % below, the fee by the rate once above the minimum, half-up', () => {
  // 1000 × 228.97 = 228970.00; × 0.001 = 228.97; limit 217.5215 → 217.52
  assert.deepEqual(review('sell', '1000', '228.97', schedule), {
    quote: '228.97',
    limitPrice: '217.52',
    notional: '228970.00',
    fee: '228.97',
    bound: '217291.03',
  });
  // 0.1 % of 0.333333 × 10.05 = 0.00335 → the minimum
  assert.equal(review('buy', '0.333333', '10.05', schedule).fee, '1.00');
});

test('a quantity the API would refuse is refused here too', () => {
  assert.throws(() => review('buy', '1.1234567', '10.00', schedule));
  assert.throws(() => review('buy', '-1', '10.00', schedule));
  assert.throws(() => review('buy', 'abc', '10.00', schedule));
});
