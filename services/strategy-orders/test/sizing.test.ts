/** Sizing an investment's buys and its totals (decisions 20, 21): pure, exact to the cent and the micro-unit. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatMoney,
  formatQuantity,
  notional,
  notionalRoundedUp,
  parseMoney,
  parseQuantity,
  parseRate,
} from '@simplebank/money';
import {
  allEnded,
  checkInvestment,
  hundredthsOf,
  nextOrderStatus,
  totals,
  type AllocationState,
} from '../src/domain/investment.ts';
import { buyLimit, costOf, feeFor, planInvestment, shareOf, sizeBuy, type FeeSchedule } from '../src/domain/sizing.ts';

/** The default schedule: max(1.00, 0.1%). */
const SCHEDULE: FeeSchedule = { minimum: 100n, rate: parseRate('0.001') };
const $ = parseMoney;

describe('shares', () => {
  it('is amount × percentage / 100, rounded down to the cent; the remainder is no one’s share', () => {
    assert.equal(formatMoney(shareOf($('1000.00'), hundredthsOf('33.33'))), '333.30');
    assert.equal(formatMoney(shareOf($('1000.00'), hundredthsOf('33.34'))), '333.40');
    // 100.01 × 33.33% = 33.333333 → 33.33, three times: 0.02 left over.
    const thirds = ['33.33', '33.33', '33.34'].map((p) => shareOf($('100.01'), hundredthsOf(p)));
    assert.deepEqual(thirds.map(formatMoney), ['33.33', '33.33', '33.34']);
    assert.equal(formatMoney($('100.01') - thirds.reduce((a, b) => a + b, 0n)), '0.01');
    // Never more than the amount, whatever the split.
    assert.equal(formatMoney(shareOf($('0.01'), hundredthsOf('50.00'))), '0.00');
    assert.equal(formatMoney(shareOf($('1000000.00'), hundredthsOf('100.00'))), '1000000.00');
  });
});

describe('sizing a buy', () => {
  it('uses the limit orders will set (quote + 5%, half-up) and the fee rule of fees', () => {
    assert.equal(formatMoney(buyLimit($('104.50'))), '109.73');
    assert.equal(formatMoney(feeFor(SCHEDULE, parseQuantity('10'), $('104.50'))), '1.05');
    assert.equal(formatMoney(feeFor(SCHEDULE, parseQuantity('0.125'), $('187.33'))), '1.00');
  });

  it('finds the largest quantity, in micro-units, whose reservation plus fee fits the share', () => {
    // Share 333.30 at a quote of 100.00: limit 105.00; q × 105 + max(1.00, 0.1% × q × 105) ≤ 333.30.
    const sized = sizeBuy($('333.30'), $('100.00'), SCHEDULE);
    assert.equal(sized.kind, 'order');
    if (sized.kind !== 'order') return;
    assert.equal(formatQuantity(sized.quantity), '3.164761');
    assert.equal(formatMoney(sized.limit), '105.00');
    assert.equal(formatMoney(sized.reservation), formatMoney(notionalRoundedUp(sized.quantity, sized.limit)));
    assert.equal(formatMoney(sized.reservation), '332.30');
    assert.equal(formatMoney(sized.fee), '1.00');
    assert.ok(sized.reservation + sized.fee <= $('333.30'));
    // One micro-unit more would not fit.
    assert.ok(costOf(SCHEDULE, sized.quantity + 1n, sized.limit) > $('333.30'));
  });

  it('above the minimum fee, the fee grows with the quantity and still fits', () => {
    const share = $('25000.00');
    const sized = sizeBuy(share, $('41.57'), SCHEDULE);
    assert.equal(sized.kind, 'order');
    if (sized.kind !== 'order') return;
    assert.equal(formatMoney(sized.limit), '43.65');
    assert.ok(sized.fee > 100n, 'past the minimum');
    assert.ok(sized.reservation + sized.fee <= share);
    assert.ok(costOf(SCHEDULE, sized.quantity + 1n, sized.limit) > share);
  });

  it('for any share and quote: reservation + fee ≤ share, and a micro-unit more would not fit', () => {
    const quotes = ['0.01', '0.07', '9.12', '104.50', '187.33', '567.20', '999999.99'];
    const shares = ['0.01', '1.00', '1.01', '1.06', '2.00', '17.77', '333.33', '5000.00', '999999.99'];
    for (const q of quotes) {
      for (const s of shares) {
        const sized = sizeBuy($(s), $(q), SCHEDULE);
        if (sized.kind === 'skip') {
          assert.ok(costOf(SCHEDULE, 1n, buyLimit($(q))) > $(s), `skipped ${s} at ${q} though one micro-unit fits`);
          continue;
        }
        assert.ok(
          sized.reservation + sized.fee <= $(s),
          `${s} at ${q}: ${formatQuantity(sized.quantity)} costs ${formatMoney(sized.reservation + sized.fee)}`,
        );
        assert.ok(costOf(SCHEDULE, sized.quantity + 1n, sized.limit) > $(s), `${s} at ${q}: more would fit`);
        // Whatever the fill within the limit, the fill's cost is within the reservation.
        assert.ok(notional(sized.quantity, sized.limit) <= sized.reservation);
      }
    }
  });

  it('skips an allocation too small for the fee, and one with no quote', () => {
    assert.deepEqual(sizeBuy($('1.00'), $('10.00'), SCHEDULE), { kind: 'skip', reason: 'too_small_for_fee' });
    assert.deepEqual(sizeBuy($('0.50'), $('10.00'), SCHEDULE), { kind: 'skip', reason: 'too_small_for_fee' });
    assert.deepEqual(sizeBuy($('0.00'), $('10.00'), SCHEDULE), { kind: 'skip', reason: 'too_small_for_fee' });
    assert.deepEqual(sizeBuy($('100.00'), undefined, SCHEDULE), { kind: 'skip', reason: 'no_quote' });
    // Just above the fee: a sliver, still a buy.
    const sliver = sizeBuy($('1.02'), $('10.00'), SCHEDULE);
    assert.equal(sliver.kind, 'order');
    if (sliver.kind === 'order') assert.equal(formatQuantity(sliver.quantity), '0.001904');
  });
});

describe('the totals of an investment', () => {
  const amount = $('1000.00');
  const allocations = [
    { assetId: 'AAA', hundredths: hundredthsOf('33.33') },
    { assetId: 'BBB', hundredths: hundredthsOf('33.33') },
    { assetId: 'CCC', hundredths: hundredthsOf('33.34') },
  ];
  const plan = planInvestment(
    amount,
    allocations,
    new Map([
      ['AAA', $('100.00')],
      ['BBB', $('50.00')],
      ['CCC', $('7.00')],
    ]),
    SCHEDULE,
  );
  const state = (overrides: Array<Partial<AllocationState>>): AllocationState[] =>
    plan.map((p, i) => ({
      assetId: p.assetId,
      share: p.share,
      skipped: null,
      orderId: `o-${i}`,
      orderStatus: 'pending',
      quantity: p.kind === 'order' ? p.quantity : null,
      fillPrice: null,
      fee: p.kind === 'order' ? p.fee : null,
      ...overrides[i],
    }));

  it('are zero until the payment completed (nothing is in the account)', () => {
    assert.deepEqual(totals(amount, false, state([])), { invested: 0n, fees: 0n, leftover: 0n });
  });

  it('while orders are open, leftover is only what is certain; once all ended, invested + fees + leftover = amount', () => {
    const open = state([]);
    assert.deepEqual(totals(amount, true, open), {
      invested: 0n,
      fees: 0n,
      leftover: amount - plan.reduce((a, p) => a + p.share, 0n),
    });
    assert.equal(allEnded(open), false);

    const fills = ['99.87', '50.00', '6.99'];
    const ended = state(fills.map((f) => ({ orderStatus: 'filled' as const, fillPrice: $(f) })));
    const t = totals(amount, true, ended);
    assert.equal(allEnded(ended), true);
    assert.equal(t.invested + t.fees + t.leftover, amount);
    const expected = plan.reduce((a, p, i) => a + (p.kind === 'order' ? notional(p.quantity, $(fills[i]!)) : 0n), 0n);
    assert.equal(t.invested, expected);
    assert.ok(t.leftover >= 0n);
  });

  it('an order that ended without a fill leaves its whole share over (its fee was refunded); a skipped allocation too', () => {
    const mixed = state([
      { orderStatus: 'filled', fillPrice: $('100.00') },
      { orderStatus: 'expired' },
      { skipped: 'too_small_for_fee', orderId: null, orderStatus: null, quantity: null, fee: null },
    ]);
    const t = totals(amount, true, mixed);
    const first = plan[0]!;
    assert.equal(first.kind, 'order');
    if (first.kind !== 'order') return;
    assert.equal(t.invested, notional(first.quantity, $('100.00')));
    assert.equal(t.fees, first.fee);
    assert.equal(t.invested + t.fees + t.leftover, amount);
    assert.equal(allEnded(mixed), true);
  });
});

describe('the rules of an investment', () => {
  it('refuses a zero amount, one over the limit per payment, and a card where it does not belong, naming each field', () => {
    assert.deepEqual(checkInvestment({ amount: '0.00', method: 'card' }), {
      problems: [
        { path: '/amount', message: 'must be more than 0.00' },
        { path: '/card', message: 'is required when method is card' },
      ],
    });
    assert.deepEqual(
      checkInvestment({ amount: '1000000.01', method: 'bank_transfer', card: { number: '4242424242424242' } }),
      {
        problems: [
          { path: '/amount', message: 'must be at most 1000000.00 (the limit per payment)' },
          { path: '/card', message: 'is allowed only when method is card' },
        ],
      },
    );
    assert.deepEqual(checkInvestment({ amount: '250.00', method: 'card', card: { number: '4242424242424242' } }), {
      amount: 25000n,
    });
  });

  it('keeps an ended order as it ended, and does not undo `placed` with a late `pending`', () => {
    assert.equal(nextOrderStatus('pending', 'placed'), 'placed');
    assert.equal(nextOrderStatus('placed', 'pending'), 'placed');
    assert.equal(nextOrderStatus('placed', 'filled'), 'filled');
    assert.equal(nextOrderStatus('pending', 'filled'), 'filled');
    assert.equal(nextOrderStatus('filled', 'placed'), 'filled');
    assert.equal(nextOrderStatus('expired', 'filled'), 'expired');
  });
});
