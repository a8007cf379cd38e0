/** The order's rules, pure. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatMoney, parseMoney } from '@simplebank/money';
import {
  buyReservation,
  canTransition,
  expiresAt,
  isCancelable,
  isTerminal,
  limitPrice,
  statusAfterFailure,
  type OrderStatus,
} from '../src/domain/order.ts';

const limit = (quote: string, side: 'buy' | 'sell') => formatMoney(limitPrice(parseMoney(quote), side));

describe('limit price', () => {
  it('is 5% above the quote for a buy, half-up to the cent', () => {
    assert.equal(limit('100.00', 'buy'), '105.00');
    assert.equal(limit('33.33', 'buy'), '35.00'); // 34.9965
    assert.equal(limit('10.10', 'buy'), '10.61'); // 10.605 → half-up
    assert.equal(limit('10.09', 'buy'), '10.59'); // 10.5945
    assert.equal(limit('0.01', 'buy'), '0.01'); // 0.0105
  });

  it('is 5% below the quote for a sell, half-up to the cent', () => {
    assert.equal(limit('100.00', 'sell'), '95.00');
    assert.equal(limit('10.10', 'sell'), '9.60'); // 9.595 → half-up
    assert.equal(limit('10.11', 'sell'), '9.60'); // 9.6045
    assert.equal(limit('33.33', 'sell'), '31.66'); // 31.6635
    assert.equal(limit('0.01', 'sell'), '0.01'); // 0.0095
  });

  it('a buy reserves quantity × limit rounded up to the cent', () => {
    assert.equal(buyReservation('10', '105.00'), '1050.00');
    assert.equal(buyReservation('0.001', '105.01'), '0.11'); // 0.10501 → up
    assert.equal(buyReservation('100.123457', '35.00'), '3504.33'); // 3504.320995 → up
  });
});

describe('order status', () => {
  const all: OrderStatus[] = ['pending', 'placed', 'filled', 'rejected', 'failed', 'canceled', 'expired'];

  it('goes pending → placed → filled, or ends rejected / failed / canceled / expired', () => {
    const allowed = all.flatMap((from) => all.filter((to) => canTransition(from, to)).map((to) => `${from}→${to}`));
    assert.deepEqual(allowed, [
      'pending→placed',
      'pending→rejected',
      'pending→failed',
      'pending→canceled',
      'pending→expired',
      'placed→filled',
      'placed→failed',
      'placed→canceled',
      'placed→expired',
    ]);
  });

  it('terminal statuses never change, and only live, unfilled orders can be canceled', () => {
    assert.deepEqual(all.filter(isTerminal), ['filled', 'rejected', 'failed', 'canceled', 'expired']);
    assert.equal(isCancelable('pending', false), true);
    assert.equal(isCancelable('placed', false), true);
    assert.equal(isCancelable('placed', true), false); // the fill is in: too late
    for (const s of ['filled', 'rejected', 'failed', 'canceled', 'expired'] as const)
      assert.equal(isCancelable(s, false), false);
  });

  it('a compensated saga ends the order by its cause', () => {
    assert.equal(statusAfterFailure('insufficient_funds'), 'rejected');
    assert.equal(statusAfterFailure('insufficient_position'), 'rejected');
    assert.equal(statusAfterFailure('exchange_rejected'), 'failed');
    assert.equal(statusAfterFailure('exchange_unavailable'), 'failed');
    assert.equal(statusAfterFailure('expired'), 'expired');
    assert.equal(statusAfterFailure('canceled_by_customer'), 'canceled');
    assert.equal(statusAfterFailure('step_failed'), 'failed');
  });

  it('expires its TTL after creation', () => {
    assert.equal(expiresAt(new Date('2026-11-22T10:00:00.000Z'), 3600).toISOString(), '2026-11-22T11:00:00.000Z');
  });
});
