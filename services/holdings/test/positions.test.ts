/** Unit tests of holdings' domain rules: cash, quantities, average cost and valuation, to the cent. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  applyToCash,
  applyToPosition,
  averageCost,
  quantityOf,
  value,
  STALE_LIMIT_MS,
  type Position,
  type Posting,
} from '../src/domain/positions.ts';

const empty = (assetId: string): Position => ({ assetId, available: 0n, reserved: 0n, cost: 0n });
const buy = (asset: string, quantity: string, price: string): Posting => ({
  kind: 'trade',
  price,
  entries: [{ asset, book: 'available', amount: quantity }],
});

describe('holdings domain', () => {
  it('applies USD entries to available and reserved cash', () => {
    let cash = applyToCash(
      { available: 0n, reserved: 0n },
      { kind: 'deposit', entries: [{ asset: 'USD', book: 'available', amount: '1000.00' }] },
    );
    cash = applyToCash(cash, {
      kind: 'reservation',
      entries: [
        { asset: 'USD', book: 'available', amount: '-250.50' },
        { asset: 'USD', book: 'reserved', amount: '250.50' },
      ],
    });
    assert.deepEqual(cash, { available: 74950n, reserved: 25050n });
  });

  it('weights the average cost by quantity, exactly, and keeps it through a sale', () => {
    let p = applyToPosition(empty('AAPL'), buy('AAPL', '10', '100.00'));
    p = applyToPosition(p, buy('AAPL', '10', '101.25'));
    assert.equal(p.cost, 201250n);
    assert.equal(averageCost(p), 10063n); // 100.625 half-up
    // sell 5: reserve, then settle from the reserved book
    p = applyToPosition(p, {
      kind: 'reservation',
      entries: [
        { asset: 'AAPL', book: 'available', amount: '-5' },
        { asset: 'AAPL', book: 'reserved', amount: '5' },
      ],
    });
    assert.equal(p.cost, 201250n);
    assert.equal(p.reserved, 5_000_000n);
    p = applyToPosition(p, {
      kind: 'trade',
      price: '110.00',
      entries: [
        { asset: 'AAPL', book: 'reserved', amount: '-5' },
        { asset: 'USD', book: 'available', amount: '550.00' },
      ],
    });
    assert.equal(quantityOf(p), 15_000_000n);
    assert.equal(p.cost, 201250n - 50313n); // 50312.5 half-up
    assert.equal(averageCost(p), 10062n); // 150937 / 15 = 100.6246…
  });

  it('fractional quantities: cost is quantity × price half-up, selling everything leaves no cost', () => {
    let p = applyToPosition(empty('VOD'), buy('VOD', '0.125', '10.01')); // 1.25125 → 1.25
    assert.equal(p.cost, 125n);
    assert.equal(averageCost(p), 1000n);
    p = applyToPosition(p, {
      kind: 'trade',
      price: '11.00',
      entries: [{ asset: 'VOD', book: 'available', amount: '-0.125' }],
    });
    assert.equal(quantityOf(p), 0n);
    assert.equal(p.cost, 0n);
    assert.equal(averageCost(p), 0n);
  });

  it('values live, stale (cache ≤ 5 minutes) or unavailable', () => {
    const cash = { available: 10000n, reserved: 500n };
    const positions = [{ assetId: 'AAPL', available: 3_000_000n, reserved: 500_000n, cost: 0n }];
    const now = Date.now();
    const live = value(cash, positions, new Map([['AAPL', 10001n]]), new Map(), now);
    assert.equal(live.valuation, 'live');
    assert.equal(live.positions[0]!.value, 35004n); // 3.5 × 100.01 = 350.035 → 350.04
    assert.equal(live.totalValue, 10000n + 500n + 35004n);
    const stale = value(
      cash,
      positions,
      undefined,
      new Map([['AAPL', { price: 9000n, at: now - STALE_LIMIT_MS }]]),
      now,
    );
    assert.equal(stale.valuation, 'stale');
    assert.equal(stale.totalValue, 10500n + 31500n);
    const old = value(
      cash,
      positions,
      undefined,
      new Map([['AAPL', { price: 9000n, at: now - STALE_LIMIT_MS - 1 }]]),
      now,
    );
    assert.equal(old.valuation, 'unavailable');
    assert.equal(old.totalValue, undefined);
    assert.equal(old.positions[0]!.value, undefined);
  });
});
