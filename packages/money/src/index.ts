/**
 * Money, quantities and prices, exactly. At every edge (HTTP, RPC, events) they are decimal strings:
 * money and prices with exactly two decimals ("1234.50"), quantities with up to six ("0.125").
 * Inside they are integers — bigint cents and bigint micro-units — and every product is rounded
 * explicitly (half-up, or up where the domain says so). No binary floating point, anywhere.
 */
import { Type as T } from '@sinclair/typebox';

/** Money in cents. */
export type Cents = bigint;
/** Quantity in micro-units (1 unit = 1_000_000). */
export type Micros = bigint;

export const MICROS_PER_UNIT = 1_000_000n;

/**
 * Money as an edge format: up to 30 digits before the point. Inputs are narrower (AmountString,
 * PriceString: 15) and business limits narrower still; balances, sums and valuations (quantity ×
 * price) are wider than any input, so their format must be too (docs/limits.md).
 */
const MONEY = /^-?(0|[1-9]\d{0,29})\.\d{2}$/;
const POSITIVE_MONEY = /^(0|[1-9]\d{0,14})\.\d{2}$/;
const QUANTITY = /^(0|[1-9]\d{0,11})(\.\d{1,6})?$/;

/** JSON Schemas of the edge formats, for contracts and the public API. */
export const MoneyString = T.String({
  pattern: MONEY.source,
  description: 'Money (a balance, a sum, a value): a decimal string with exactly two decimals, e.g. "1234.50"',
  examples: ['1000.00'],
});
export const AmountString = T.String({
  pattern: POSITIVE_MONEY.source,
  description: 'A non-negative amount of money with exactly two decimals',
  examples: ['250.00'],
});
export const PriceString = T.String({
  pattern: POSITIVE_MONEY.source,
  description: 'A price: a decimal string with exactly two decimals',
  examples: ['101.25'],
});
export const QuantityString = T.String({
  pattern: QUANTITY.source,
  description: 'A quantity: a decimal string with up to six decimals',
  examples: ['10', '0.125'],
});

export class MoneyFormatError extends Error {}

// ---------------------------------------------------------------------------------------------
// Business limits (docs/limits.md): checked at the gateway and again by the service that owns the
// rule, so that nothing a limit should refuse at the door gets further.
// ---------------------------------------------------------------------------------------------

/** The most one payment (a deposit or a withdrawal) may move: 1 000 000.00. */
export const MAX_PAYMENT_CENTS: Cents = 100_000_000n;
/** The highest price market-data accepts (an admin's pin; the random walk stops there): 1 000 000.00. */
export const MAX_PRICE_CENTS: Cents = 100_000_000n;
/** The largest notional of one order, quantity × limit price (what a buy reserves): 10 000 000.00. */
export const MAX_ORDER_NOTIONAL_CENTS: Cents = 1_000_000_000n;

/** Whether a payment amount is within the limit per payment. */
export function withinPaymentLimit(cents: Cents): boolean {
  return cents <= MAX_PAYMENT_CENTS;
}

/** "1234.50" → 123450n. Throws MoneyFormatError unless exactly two decimals. */
export function parseMoney(s: string): Cents {
  if (!MONEY.test(s)) throw new MoneyFormatError(`Not a money amount with two decimals: "${s}"`);
  const negative = s.startsWith('-');
  const [units, cents] = (negative ? s.slice(1) : s).split('.') as [string, string];
  const value = BigInt(units) * 100n + BigInt(cents);
  return negative ? -value : value;
}

/** 123450n → "1234.50". */
export function formatMoney(cents: Cents): string {
  const negative = cents < 0n;
  const abs = negative ? -cents : cents;
  return `${negative ? '-' : ''}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}

/** "0.125" → 125000n micro-units. */
export function parseQuantity(s: string): Micros {
  if (!QUANTITY.test(s)) throw new MoneyFormatError(`Not a quantity with up to six decimals: "${s}"`);
  const [units, fraction = ''] = s.split('.') as [string, string?];
  return BigInt(units) * MICROS_PER_UNIT + BigInt(fraction.padEnd(6, '0'));
}

/** 125000n → "0.125"; whole quantities without decimals ("10"). Negative allowed (ledger sides). */
export function formatQuantity(micros: Micros): string {
  const negative = micros < 0n;
  const abs = negative ? -micros : micros;
  const units = abs / MICROS_PER_UNIT;
  const fraction = String(abs % MICROS_PER_UNIT)
    .padStart(6, '0')
    .replace(/0+$/, '');
  return `${negative ? '-' : ''}${units}${fraction ? `.${fraction}` : ''}`;
}

/** Integer division rounded half-up (away from zero at .5), for non-negative or negative numerators. */
export function divideHalfUp(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new RangeError('denominator must be positive');
  const negative = numerator < 0n;
  const n = negative ? -numerator : numerator;
  const q = (n * 2n + denominator) / (denominator * 2n);
  return negative ? -q : q;
}

/** Integer division rounded up (towards +infinity) for non-negative numerators. */
export function divideUp(numerator: bigint, denominator: bigint): bigint {
  if (numerator < 0n || denominator <= 0n)
    throw new RangeError('divideUp takes a non-negative numerator and a positive denominator');
  return (numerator + denominator - 1n) / denominator;
}

/** quantity × price in cents, rounded half-up to the cent (the notional of an order or a fill). */
export function notional(quantity: Micros, price: Cents): Cents {
  return divideHalfUp(quantity * price, MICROS_PER_UNIT);
}

/** quantity × price in cents, rounded up to the cent (what a buy reserves, so the fill always fits). */
export function notionalRoundedUp(quantity: Micros, price: Cents): Cents {
  return divideUp(quantity * price, MICROS_PER_UNIT);
}

/**
 * A decimal rate as an exact fraction: "0.001" → {numerator: 1n, denominator: 1000n}. Up to nine
 * decimals; used for fee rates and percentages.
 */
export interface Rate {
  numerator: bigint;
  denominator: bigint;
}

const RATE = /^(0|[1-9]\d{0,8})(\.\d{1,9})?$/;

export function parseRate(s: string): Rate {
  if (!RATE.test(s)) throw new MoneyFormatError(`Not a decimal rate: "${s}"`);
  const [units, fraction = ''] = s.split('.') as [string, string?];
  const denominator = 10n ** BigInt(fraction.length);
  return { numerator: BigInt(units) * denominator + BigInt(fraction || '0'), denominator };
}

export function formatRate(r: Rate): string {
  const digits = r.denominator.toString().length - 1;
  const units = r.numerator / r.denominator;
  const fraction = (r.numerator % r.denominator).toString().padStart(digits, '0').replace(/0+$/, '');
  return `${units}${fraction ? `.${fraction}` : ''}`;
}

export const RateString = T.String({ pattern: RATE.source, description: 'A decimal rate, e.g. "0.001" for 0.1%' });

/** cents × rate, rounded half-up to the cent. */
export function applyRate(cents: Cents, rate: Rate): Cents {
  return divideHalfUp(cents * rate.numerator, rate.denominator);
}

/**
 * An amount × a rate in exact arithmetic from quantity and price: quantity × price × rate, rounded
 * half-up once, at the end (rounding the notional first would round twice).
 */
export function notionalTimesRate(quantity: Micros, price: Cents, rate: Rate): Cents {
  return divideHalfUp(quantity * price * rate.numerator, MICROS_PER_UNIT * rate.denominator);
}

export function maxCents(a: Cents, b: Cents): Cents {
  return a > b ? a : b;
}

export function minCents(a: Cents, b: Cents): Cents {
  return a < b ? a : b;
}
