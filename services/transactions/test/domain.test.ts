import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { notionalRoundedUp, parseMoney, parseQuantity } from '@simplebank/money';
import {
  CASH,
  LedgerRuleError,
  applyPosting,
  depositPosting,
  feePosting,
  feeRefundPosting,
  makePosting,
  releasePosting,
  reservationPosting,
  sumsByAsset,
  withdrawalPosting,
  type AccountBalances,
  type Posting,
} from '../src/domain/ledger.ts';
import { consumeWithdrawal, settleBuy, settleSell, splitAgainstReservation } from '../src/domain/settlement.ts';

const ACC = 'acc-1';
const balancesOf = (entries: Array<[string, string | bigint, string | bigint]>): AccountBalances =>
  new Map(
    entries.map(([asset, a, r]) => [
      asset,
      { available: typeof a === 'bigint' ? a : parseMoney(a), reserved: typeof r === 'bigint' ? r : parseMoney(r) },
    ]),
  );

function assertBalanced(p: Posting): void {
  assert.ok(p.entries.length >= 2, 'a posting has at least two entries');
  for (const [asset, sum] of sumsByAsset(p.entries)) assert.equal(sum, 0n, `${p.kind} balances for ${asset}`);
  assert.ok(
    p.entries.every((e) => e.amount !== 0n),
    'no zero entries',
  );
}

describe('postings', () => {
  it('every kind of posting sums to zero per asset', () => {
    const postings: Posting[] = [
      depositPosting(ACC, 100_00n),
      withdrawalPosting(ACC, 25_50n),
      consumeWithdrawal(ACC, 25_50n, 25_50n),
      consumeWithdrawal(ACC, 25_50n, 30_00n),
      consumeWithdrawal(ACC, 25_50n, 0n),
      reservationPosting(ACC, CASH, 1n),
      reservationPosting(ACC, 'AAPL', parseQuantity('0.125')),
      releasePosting(ACC, 'AAPL', 7n),
      feePosting(ACC, 1_00n),
      feeRefundPosting(ACC, 1_00n),
    ];
    // Trades over a spread of quantities, prices and reservations (including odd roundings).
    for (const q of ['1', '0.000001', '0.333333', '10', '1234.5']) {
      for (const price of ['0.01', '101.25', '99.99', '3333.33']) {
        const quantity = parseQuantity(q);
        const fillPrice = parseMoney(price);
        const reserve = notionalRoundedUp(quantity, fillPrice + 5n);
        postings.push(
          settleBuy({ accountId: ACC, assetId: 'AAPL', quantity, fillPrice, reservedRemaining: reserve }).posting,
        );
        postings.push(
          settleBuy({ accountId: ACC, assetId: 'AAPL', quantity, fillPrice, reservedRemaining: 0n }).posting,
        );
        postings.push(
          settleSell({ accountId: ACC, assetId: 'AAPL', quantity, fillPrice, reservedRemaining: quantity }).posting,
        );
        postings.push(
          settleSell({ accountId: ACC, assetId: 'AAPL', quantity, fillPrice, reservedRemaining: quantity * 2n })
            .posting,
        );
      }
    }
    for (const p of postings) assertBalanced(p);
  });

  it('refuses an unbalanced posting, a one-sided one, and one touching another account', () => {
    assert.throws(
      () =>
        makePosting('deposit', ACC, [
          { book: { system: 'external' }, asset: CASH, amount: -100n },
          { book: { accountId: ACC, book: 'available' }, asset: CASH, amount: 99n },
        ]),
      (e: unknown) => e instanceof LedgerRuleError && e.code === 'unbalanced_posting',
    );
    assert.throws(
      () => makePosting('deposit', ACC, [{ book: { accountId: ACC, book: 'available' }, asset: CASH, amount: 100n }]),
      (e: unknown) => e instanceof LedgerRuleError && e.code === 'empty_posting',
    );
    assert.throws(
      () =>
        makePosting('reservation', ACC, [
          { book: { accountId: 'acc-2', book: 'available' }, asset: CASH, amount: -1n },
          { book: { accountId: ACC, book: 'reserved' }, asset: CASH, amount: 1n },
        ]),
      (e: unknown) => e instanceof LedgerRuleError && e.code === 'foreign_account',
    );
    // Balancing cash with a position is not balancing.
    assert.throws(
      () =>
        makePosting('trade', ACC, [
          { book: { system: 'exchange' }, asset: CASH, amount: -5n },
          { book: { accountId: ACC, book: 'available' }, asset: 'AAPL', amount: 5n },
        ]),
      (e: unknown) => e instanceof LedgerRuleError && e.code === 'unbalanced_posting',
    );
  });

  it('refuses zero amounts', () => {
    assert.throws(
      () => depositPosting(ACC, 0n),
      (e: unknown) => e instanceof LedgerRuleError && e.code === 'validation_failed',
    );
    assert.throws(
      () => reservationPosting(ACC, CASH, 0n),
      (e: unknown) => e instanceof LedgerRuleError && e.code === 'validation_failed',
    );
  });
});

describe('applying a posting to an account', () => {
  it('moves cash between books exactly, and leaves the input untouched', () => {
    const before = balancesOf([[CASH, '100.00', '0.00']]);
    const after = applyPosting(before, reservationPosting(ACC, CASH, parseMoney('30.01')));
    assert.deepEqual(after.get(CASH), { available: parseMoney('69.99'), reserved: parseMoney('30.01') });
    assert.deepEqual(before.get(CASH), { available: parseMoney('100.00'), reserved: 0n });
  });

  it('never lets a customer book go negative: insufficient_funds for cash, insufficient_position for a ticker', () => {
    const before = balancesOf([
      [CASH, '30.00', '0.00'],
      ['AAPL', parseQuantity('2'), 0n],
    ]);
    assert.throws(
      () => applyPosting(before, reservationPosting(ACC, CASH, parseMoney('30.01'))),
      (e: unknown) => e instanceof LedgerRuleError && e.code === 'insufficient_funds',
    );
    assert.throws(
      () => applyPosting(before, feePosting(ACC, parseMoney('30.01'))),
      (e: unknown) => e instanceof LedgerRuleError && e.code === 'insufficient_funds',
    );
    assert.throws(
      () => applyPosting(before, reservationPosting(ACC, 'AAPL', parseQuantity('2.000001'))),
      (e: unknown) => e instanceof LedgerRuleError && e.code === 'insufficient_position',
    );
    assert.throws(
      () => applyPosting(before, reservationPosting(ACC, 'MSFT', 1n)),
      (e: unknown) => e instanceof LedgerRuleError && e.code === 'insufficient_position',
    );
    // Exactly everything is fine.
    assert.deepEqual(applyPosting(before, reservationPosting(ACC, CASH, parseMoney('30.00'))).get(CASH), {
      available: 0n,
      reserved: parseMoney('30.00'),
    });
  });
});

describe('settlement arithmetic', () => {
  it('a buy filled below the limit pays q × fill (half-up) from the reservation and releases the difference', () => {
    // Buy 3 at a limit of 105.00: 315.00 reserved; filled at 99.99.
    const quantity = parseQuantity('3');
    const reserved = notionalRoundedUp(quantity, parseMoney('105.00'));
    assert.equal(reserved, parseMoney('315.00'));
    const s = settleBuy({
      accountId: ACC,
      assetId: 'AAPL',
      quantity,
      fillPrice: parseMoney('99.99'),
      reservedRemaining: reserved,
    });
    assert.equal(s.cashAmount, parseMoney('299.97'));
    assert.equal(s.fromReserved, parseMoney('299.97'));
    assert.equal(s.released, parseMoney('15.03'));
    assert.equal(s.fromAvailable, 0n);
    const after = applyPosting(balancesOf([[CASH, '10.00', '315.00']]), s.posting);
    assert.deepEqual(after.get(CASH), { available: parseMoney('25.03'), reserved: 0n });
    assert.deepEqual(after.get('AAPL'), { available: quantity, reserved: 0n });
  });

  it('rounds the cost of a fractional buy half-up to the cent', () => {
    // 0.333333 × 10.05 = 3.34999665 → 3.35; 0.1 × 0.05 = 0.005 → 0.01.
    assert.equal(
      settleBuy({
        accountId: ACC,
        assetId: 'X',
        quantity: parseQuantity('0.333333'),
        fillPrice: parseMoney('10.05'),
        reservedRemaining: parseMoney('4.00'),
      }).cashAmount,
      parseMoney('3.35'),
    );
    assert.equal(
      settleBuy({
        accountId: ACC,
        assetId: 'X',
        quantity: parseQuantity('0.1'),
        fillPrice: parseMoney('0.05'),
        reservedRemaining: parseMoney('1.00'),
      }).cashAmount,
      1n,
    );
    assert.equal(
      settleBuy({
        accountId: ACC,
        assetId: 'X',
        quantity: parseQuantity('0.1'),
        fillPrice: parseMoney('0.04'),
        reservedRemaining: parseMoney('1.00'),
      }).cashAmount,
      0n,
    );
  });

  it('a buy filled exactly at the limit consumes the whole reservation and releases nothing', () => {
    const quantity = parseQuantity('0.5');
    const limit = parseMoney('10.01');
    const reserved = notionalRoundedUp(quantity, limit); // 5.005 → 5.01
    const s = settleBuy({ accountId: ACC, assetId: 'X', quantity, fillPrice: limit, reservedRemaining: reserved });
    assert.equal(s.cashAmount, parseMoney('5.01')); // half-up: 5.005 → 5.01
    assert.equal(s.released, 0n);
  });

  it('a buy whose reservation falls short takes the shortfall from available cash (or is refused)', () => {
    const s = settleBuy({
      accountId: ACC,
      assetId: 'X',
      quantity: parseQuantity('1'),
      fillPrice: parseMoney('10.00'),
      reservedRemaining: parseMoney('9.00'),
    });
    assert.equal(s.fromAvailable, parseMoney('1.00'));
    assert.deepEqual(applyPosting(balancesOf([[CASH, '5.00', '9.00']]), s.posting).get(CASH), {
      available: parseMoney('4.00'),
      reserved: 0n,
    });
    assert.throws(
      () => applyPosting(balancesOf([[CASH, '0.99', '9.00']]), s.posting),
      (e: unknown) => e instanceof LedgerRuleError && e.code === 'insufficient_funds',
    );
  });

  it('a sell moves the reserved quantity to the exchange and brings q × fill (half-up) to available cash', () => {
    const quantity = parseQuantity('2.5');
    const s = settleSell({
      accountId: ACC,
      assetId: 'AAPL',
      quantity,
      fillPrice: parseMoney('95.01'),
      reservedRemaining: quantity,
    });
    assert.equal(s.cashAmount, parseMoney('237.53')); // 237.525 → 237.53
    assert.equal(s.released, 0n);
    const after = applyPosting(
      balancesOf([
        [CASH, '1.00', '0.00'],
        ['AAPL', parseQuantity('1'), quantity],
      ]),
      s.posting,
    );
    assert.deepEqual(after.get(CASH), { available: parseMoney('238.53'), reserved: 0n });
    assert.deepEqual(after.get('AAPL'), { available: parseQuantity('1'), reserved: 0n });
    const exchange = s.posting.entries.filter((e) => 'system' in e.book && e.book.system === 'exchange');
    assert.deepEqual(
      exchange.map((e) => [e.asset, e.amount]).sort(),
      [
        ['AAPL', quantity],
        [CASH, -parseMoney('237.53')],
      ].sort(),
    );
  });

  it('a withdrawal consumes its reservation to external', () => {
    const after = applyPosting(
      balancesOf([[CASH, '5.00', '70.00']]),
      consumeWithdrawal(ACC, parseMoney('70.00'), parseMoney('70.00')),
    );
    assert.deepEqual(after.get(CASH), { available: parseMoney('5.00'), reserved: 0n });
  });

  it('splits a need against what is left of a reservation', () => {
    assert.deepEqual(splitAgainstReservation(5n, 8n), { fromReserved: 5n, fromAvailable: 0n, released: 3n });
    assert.deepEqual(splitAgainstReservation(8n, 5n), { fromReserved: 5n, fromAvailable: 3n, released: 0n });
    assert.deepEqual(splitAgainstReservation(5n, 0n), { fromReserved: 0n, fromAvailable: 5n, released: 0n });
  });
});
