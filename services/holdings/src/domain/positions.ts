/**
 * Holdings' business rules, pure: how a ledger posting changes an account's cash and positions
 * (quantity, reserved quantity, average cost), and how a portfolio is valued at given prices.
 * Money in bigint cents, quantities in bigint micro-units; rounding half-up, only where said.
 */
import {
  MICROS_PER_UNIT,
  divideHalfUp,
  notional,
  parseMoney,
  parseQuantity,
  type Cents,
  type Micros,
} from '@simplebank/money';

export const CASH_ASSET = 'USD';

export interface Cash {
  available: Cents;
  reserved: Cents;
}

export interface Position {
  assetId: string;
  available: Micros;
  reserved: Micros;
  /** The total cost of the position in cents (what its quantity cost, fees excluded). */
  cost: Cents;
}

export interface PostingEntry {
  asset: string;
  book: 'available' | 'reserved';
  /** Money ("-12.50") for USD, a signed quantity ("-10", "0.5") for a ticker. */
  amount: string;
}

export interface Posting {
  kind: string;
  /** The fill price of a trade, two decimals. */
  price?: string | undefined;
  entries: PostingEntry[];
}

/** A signed quantity: the money module parses unsigned ones. */
export function parseSignedQuantity(s: string): Micros {
  return s.startsWith('-') ? -parseQuantity(s.slice(1)) : parseQuantity(s);
}

export function quantityOf(p: Position): Micros {
  return p.available + p.reserved;
}

/** The average cost per unit in cents, half-up to the cent; 0 for an empty position. */
export function averageCost(p: Position): Cents {
  const q = quantityOf(p);
  if (q <= 0n) return 0n;
  return divideHalfUp(p.cost * MICROS_PER_UNIT, q);
}

/** What a posting's USD entries change in the cash (the store adds it: cash is a sum of changes). */
export function cashChange(posting: Posting): Cash {
  return applyToCash({ available: 0n, reserved: 0n }, posting);
}

/** Applies a posting's USD entries to the cash. */
export function applyToCash(cash: Cash, posting: Posting): Cash {
  let { available, reserved } = cash;
  for (const e of posting.entries) {
    if (e.asset !== CASH_ASSET) continue;
    const cents = parseMoney(e.amount);
    if (e.book === 'available') available += cents;
    else reserved += cents;
  }
  return { available, reserved };
}

/** The assets (tickers) a posting touches. */
export function assetsOf(posting: Posting): string[] {
  return [...new Set(posting.entries.filter((e) => e.asset !== CASH_ASSET).map((e) => e.asset))];
}

/**
 * Applies a posting's entries of one asset to its position.
 * - Reservations and releases move quantity between the books: the total and the cost are unchanged.
 * - Quantity added by a trade at `price` adds quantity × price (half-up to the cent — the cash the
 *   ledger moved for it) to the cost: the average is weighted by quantity, exactly.
 * - Quantity removed (a sale) takes the current average with it: the cost is reduced in proportion,
 *   removed = cost × sold / quantity, half-up to the cent, so the remaining average stays the same
 *   (to the rounding). Selling everything leaves a cost of 0.
 * - Quantity added without a price (no such posting in wave 1) adds no cost.
 */
export function applyToPosition(position: Position, posting: Posting): Position {
  let { available, reserved, cost } = position;
  let delta = 0n;
  for (const e of posting.entries) {
    if (e.asset !== position.assetId) continue;
    const micros = parseSignedQuantity(e.amount);
    if (e.book === 'available') available += micros;
    else reserved += micros;
    delta += micros;
  }
  const before = quantityOf(position);
  if (delta > 0n) {
    if (posting.price !== undefined) cost += notional(delta, parseMoney(posting.price));
  } else if (delta < 0n) {
    const sold = -delta;
    if (before <= 0n || sold >= before) cost = 0n;
    else cost -= divideHalfUp(cost * sold, before);
  }
  return { assetId: position.assetId, available, reserved, cost };
}

export type Valuation = 'live' | 'stale' | 'unavailable';

export interface Quote {
  price: Cents;
  /** When the price was quoted (ms since the epoch). */
  at: number;
}

/** Prices cached at most this long ago may value a portfolio when market-data does not answer. */
export const STALE_LIMIT_MS = 5 * 60 * 1000;

export interface ValuedPosition {
  position: Position;
  price?: Cents;
  value?: Cents;
}

export interface Portfolio {
  valuation: Valuation;
  positions: ValuedPosition[];
  /** Present unless the valuation is unavailable. */
  totalValue?: Cents;
}

/**
 * Chooses the valuation: `live` when every asset has a live price (market-data answered), else
 * `stale` when every asset missing one has a cached price at most STALE_LIMIT_MS old, else
 * `unavailable` (quantities only). value = quantity × price, half-up to the cent.
 * totalValue = cash available + cash reserved + the value of every position (reserved quantities
 * included: they are still the customer's until a trade settles). Fees already charged are not in it.
 */
export function value(
  cash: Cash,
  positions: Position[],
  live: Map<string, Cents> | undefined,
  cached: Map<string, Quote>,
  now: number,
): Portfolio {
  const prices = new Map<string, Cents>();
  let valuation: Valuation = 'live';
  for (const p of positions) {
    const livePrice = live?.get(p.assetId);
    if (livePrice !== undefined) {
      prices.set(p.assetId, livePrice);
      continue;
    }
    const quote = cached.get(p.assetId);
    if (quote !== undefined && now - quote.at <= STALE_LIMIT_MS) {
      prices.set(p.assetId, quote.price);
      valuation = 'stale';
      continue;
    }
    valuation = 'unavailable';
    break;
  }
  if (valuation === 'unavailable') return { valuation, positions: positions.map((position) => ({ position })) };
  let total = cash.available + cash.reserved;
  const valued = positions.map((position) => {
    const price = prices.get(position.assetId)!;
    const v = notional(quantityOf(position), price);
    total += v;
    return { position, price, value: v };
  });
  return { valuation, positions: valued, totalValue: total };
}
