/** reporting's pure rules: periods, the order fold, statement lines, the fee report's grouping. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMoney, parseQuantity } from '@simplebank/money';
import { feeReport, type FeeSum } from '../src/domain/fees.ts';
import { foldOrder, notionalOf, type OrderEvent, type OrderRow } from '../src/domain/orders.ts';
import { parseInstant, parsePeriod } from '../src/domain/period.ts';
import { lineOf, netEntries, statementOf, type NettedPosting } from '../src/domain/statement.ts';

const parse = { money: parseMoney, quantity: parseQuantity };

describe('period', () => {
  it('takes dates (midnight UTC) and timestamps with their offset; refuses anything else', () => {
    assert.equal(parseInstant('2026-12-01')?.toISOString(), '2026-12-01T00:00:00.000Z');
    assert.equal(parseInstant('2026-12-01T09:30:00+01:00')?.toISOString(), '2026-12-01T08:30:00.000Z');
    assert.equal(parseInstant('2026-12-01T09:30Z')?.toISOString(), '2026-12-01T09:30:00.000Z');
    for (const bad of [
      'yesterday',
      '2026-02-30',
      '2026-13-01',
      '2026-12-01T25:00:00Z',
      '2026-12-01T09:30:00',
      '1733000000',
      '',
    ])
      assert.equal(parseInstant(bad), undefined, bad);
  });
  it('defaults to this month so far; refuses to before from, naming the field', () => {
    const now = new Date('2026-12-06T15:00:00Z');
    const p = parsePeriod({}, now);
    assert.ok('period' in p);
    assert.equal(p.period.from.toISOString(), '2026-12-01T00:00:00.000Z');
    assert.equal(p.period.to, now);
    assert.deepEqual(parsePeriod({ from: '2026-12-02', to: '2026-12-01' }, now), {
      problems: [{ path: '/to', message: 'must not be before from' }],
    });
    const bad = parsePeriod({ from: 'nope' }, now);
    assert.ok('problems' in bad && bad.problems[0]!.path === '/from');
  });
  it('with a bound, takes a whole leap year and refuses a day more, naming the field', () => {
    const now = new Date('2026-12-06T15:00:00Z');
    assert.ok('period' in parsePeriod({ from: '2024-01-01', to: '2025-01-01' }, now, 366));
    assert.deepEqual(parsePeriod({ from: '2024-01-01', to: '2025-01-02' }, now, 366), {
      problems: [{ path: '/to', message: 'the period is at most 366 days; ask for a shorter one' }],
    });
    assert.ok(
      'period' in parsePeriod({ from: '2020-01-01', to: '2026-01-01' }, now),
      'no bound unless asked (the paged order history)',
    );
  });
});

const event = (status: OrderEvent['status'], at: string, extra: Partial<OrderEvent> = {}): OrderEvent => ({
  orderId: 'o-1',
  accountId: 'a-1',
  customerId: 'c-1',
  assetId: 'AAPL',
  side: 'buy',
  quantity: parseQuantity('2'),
  status,
  reason: null,
  fillPrice: null,
  fee: parseMoney('1.01'),
  at: new Date(at),
  source: 'customer',
  investmentId: null,
  ...extra,
});

describe('order fold', () => {
  const pending = event('pending', '2026-12-06T10:00:00.000Z');
  const placed = event('placed', '2026-12-06T10:00:01.000Z');
  const filled = event('filled', '2026-12-06T10:00:02.000Z', { fillPrice: parseMoney('228.97') });
  const fold = (events: OrderEvent[]) => events.reduce<OrderRow | undefined>((row, e) => foldOrder(row, e), undefined)!;

  it('gives the same row whatever the order the events arrive in, and with repeats', () => {
    const expected = fold([pending, placed, filled]);
    assert.equal(expected.status, 'filled');
    assert.equal(expected.placedAt.toISOString(), '2026-12-06T10:00:00.000Z');
    assert.equal(expected.filledAt?.toISOString(), '2026-12-06T10:00:02.000Z');
    assert.equal(expected.fillPrice, 22897n);
    for (const order of [
      [filled, placed, pending],
      [placed, filled, pending],
      [filled, pending, placed, filled, pending],
    ])
      assert.deepEqual(fold(order), expected);
  });
  it('an end beats placed even when its clock is earlier; notional only once filled, half-up to the cent', () => {
    const rejected = event('rejected', '2026-12-06T09:59:59.000Z', { reason: 'insufficient_funds' });
    const row = fold([placed, rejected]);
    assert.equal(row.status, 'rejected');
    assert.equal(row.reason, 'insufficient_funds');
    assert.equal(notionalOf(row), null);
    assert.equal(notionalOf(fold([filled])), '457.94');
    assert.equal(
      notionalOf({ status: 'filled', quantity: parseQuantity('0.333333'), fillPrice: parseMoney('10.05') }),
      '3.35',
    );
  });
  it('keeps the source and investment of a strategy order', () => {
    const row = fold([
      event('pending', '2026-12-06T10:00:00Z'),
      event('filled', '2026-12-06T10:00:02Z', { source: 'strategy', investmentId: 'inv-1', fillPrice: 100n }),
    ]);
    assert.equal(row.source, 'strategy');
    assert.equal(row.investmentId, 'inv-1');
  });
});

describe('statement lines', () => {
  const posting = (
    kind: NettedPosting['kind'],
    at: string,
    entries: Array<{ asset: string; book: 'available' | 'reserved'; amount: string }>,
    extra: Partial<NettedPosting> = {},
  ): NettedPosting => ({
    postingId: `p-${at}`,
    kind,
    at: new Date(at),
    orderId: 'o-1',
    paymentId: null,
    price: null,
    ...netEntries(entries, parse),
    ...extra,
  });

  it('a buy is one line of its cost; the reservation and its release show nothing', () => {
    const reservation = posting('reservation', '2026-12-06T10:00:01Z', [
      { asset: 'USD', book: 'available', amount: '-480.84' },
      { asset: 'USD', book: 'reserved', amount: '480.84' },
    ]);
    const trade = posting(
      'trade',
      '2026-12-06T10:00:02Z',
      [
        { asset: 'USD', book: 'reserved', amount: '-480.84' },
        { asset: 'USD', book: 'available', amount: '22.90' },
        { asset: 'AAPL', book: 'available', amount: '2' },
      ],
      { price: parseMoney('228.97') },
    );
    assert.equal(lineOf(reservation), null);
    assert.deepEqual(lineOf(trade), { kind: 'buy', description: 'Buy 2 AAPL @ 228.97', amount: -45794n });
  });
  it('a sell, a fee (described by its order), its refund, a deposit, a withdrawal', () => {
    const sell = posting(
      'trade',
      '2026-12-06T11:00:00Z',
      [
        { asset: 'AAPL', book: 'reserved', amount: '-1.5' },
        { asset: 'USD', book: 'available', amount: '150.00' },
      ],
      { price: 10000n },
    );
    assert.deepEqual(lineOf(sell), { kind: 'sell', description: 'Sell 1.5 AAPL @ 100.00', amount: 15000n });
    const order = { side: 'buy' as const, quantity: parseQuantity('2'), assetId: 'AAPL' };
    assert.deepEqual(
      lineOf(posting('fee', '2026-12-06T10:00:00Z', [{ asset: 'USD', book: 'available', amount: '-1.01' }]), order),
      { kind: 'fee', description: 'Fee: buy 2 AAPL', amount: -101n },
    );
    assert.deepEqual(
      lineOf(posting('fee_refund', '2026-12-06T10:00:00Z', [{ asset: 'USD', book: 'available', amount: '1.01' }])),
      { kind: 'fee_refund', description: 'Fee refund: order', amount: 101n },
    );
    assert.equal(
      lineOf(posting('deposit', '2026-12-06T09:00:00Z', [{ asset: 'USD', book: 'available', amount: '500.00' }]))?.kind,
      'deposit',
    );
    assert.deepEqual(
      lineOf(posting('withdrawal', '2026-12-06T09:00:00Z', [{ asset: 'USD', book: 'reserved', amount: '-20.00' }])),
      { kind: 'withdrawal', description: 'Withdrawal', amount: -2000n },
    );
  });
  it('running balances in posting time order, whatever the order given; closing = opening + the lines', () => {
    const deposit = posting(
      'deposit',
      '2026-12-06T09:00:00Z',
      [{ asset: 'USD', book: 'available', amount: '500.00' }],
      { orderId: null },
    );
    const fee = posting('fee', '2026-12-06T10:00:00Z', [{ asset: 'USD', book: 'available', amount: '-1.01' }]);
    const trade = posting(
      'trade',
      '2026-12-06T10:00:02Z',
      [
        { asset: 'USD', book: 'reserved', amount: '-457.94' },
        { asset: 'AAPL', book: 'available', amount: '2' },
      ],
      { price: 22897n },
    );
    const { lines, closing } = statementOf(1000n, [trade, deposit, fee], new Map());
    assert.deepEqual(
      lines.map((l) => [l.kind, l.amount, l.balance]),
      [
        ['deposit', '500.00', '510.00'],
        ['fee', '-1.01', '508.99'],
        ['buy', '-457.94', '51.05'],
      ],
    );
    assert.equal(closing, 5105n);
    assert.equal(closing, 1000n + lines.reduce((s, l) => s + parseMoney(l.amount), 0n));
  });
});

describe('fee report', () => {
  it('groups by day, side and asset type; total = charged − refunded, exact to the cent; count = fees charged', () => {
    const sums: FeeSum[] = [
      { day: '2026-12-06', side: 'sell', assetType: 'stock', kind: 'charged', count: 1, amount: 100n },
      { day: '2026-12-05', side: 'buy', assetType: 'etf', kind: 'charged', count: 3, amount: 303n },
      { day: '2026-12-05', side: 'buy', assetType: 'etf', kind: 'refunded', count: 1, amount: 101n },
      { day: '2026-12-05', side: 'buy', assetType: 'stock', kind: 'charged', count: 2, amount: 9_007_199_254_740_993n },
      { day: '2026-12-06', side: null, assetType: null, kind: 'refunded', count: 1, amount: 7n },
    ];
    const report = feeReport(sums);
    assert.deepEqual(report.items, [
      { day: '2026-12-05', side: 'buy', assetType: 'etf', count: 3, total: '2.02' },
      { day: '2026-12-05', side: 'buy', assetType: 'stock', count: 2, total: '90071992547409.93' },
      { day: '2026-12-06', side: 'sell', assetType: 'stock', count: 1, total: '1.00' },
      { day: '2026-12-06', side: null, assetType: null, count: 0, total: '-0.07' },
    ]);
    assert.equal(report.total, '90071992547412.88');
    assert.deepEqual(feeReport([]), { total: '0.00', items: [] });
  });
});
