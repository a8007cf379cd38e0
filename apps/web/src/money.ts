/**
 * Money for reading, and the order review's estimate, exactly: the API's decimal strings are
 * formatted as strings and computed with @simplebank/money's bigint cents, never with floats.
 */
import {
  divideHalfUp,
  formatMoney,
  maxCents,
  notional,
  notionalTimesRate,
  parseMoney,
  parseQuantity,
  parseRate,
  type Cents,
} from '@simplebank/money';

/** "-1234567.50" → "-$1,234,567.50": thousands grouped on the string itself. */
export function usd(amount: string): string {
  const negative = amount.startsWith('-');
  const [units = '0', cents = '00'] = (negative ? amount.slice(1) : amount).split('.');
  const grouped = units.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}$${grouped}.${cents.padEnd(2, '0')}`;
}

/** "2.000000" → "2", "0.125000" → "0.125". */
export function quantity(q: string): string {
  return q.includes('.') ? q.replace(/0+$/, '').replace(/\.$/, '') : q;
}

export interface Review {
  quote: string;
  limitPrice: string;
  notional: string;
  fee: string;
  /** A buy's most it can cost (limit × quantity + fee); a sell's least it can bring (limit × quantity − fee). */
  bound: string;
}

/**
 * What the order will be, as the API computes it (api.md): the limit protects the customer at
 * 5 % above (buy) or below (sell) the quote; the fee is max(minimum, rate × quantity × quote).
 * Throws MoneyFormatError for a quantity the API would refuse too.
 */
export function review(
  side: 'buy' | 'sell',
  qty: string,
  quote: string,
  schedule: { minimum: string; rate: string },
): Review {
  const micros = parseQuantity(qty);
  const quoteCents = parseMoney(quote);
  const limit: Cents = divideHalfUp(quoteCents * (side === 'buy' ? 105n : 95n), 100n);
  const fee = maxCents(parseMoney(schedule.minimum), notionalTimesRate(micros, quoteCents, parseRate(schedule.rate)));
  const atLimit = notional(micros, limit);
  return {
    quote,
    limitPrice: formatMoney(limit),
    notional: formatMoney(notional(micros, quoteCents)),
    fee: formatMoney(fee),
    bound: formatMoney(side === 'buy' ? atLimit + fee : atLimit - fee),
  };
}
