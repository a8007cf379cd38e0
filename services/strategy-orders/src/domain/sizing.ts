/**
 * Sizing an investment's buys (decision 20), pure: each allocation's share of the amount, rounded
 * down to the cent, and the largest quantity (whole micro-units, i.e. six decimals) whose order
 * takes at most that share from cash — the reservation orders will make (quantity × limit price,
 * rounded up) plus the fee. Integers inside (cents, micro-units, hundredths of a percent), never floats.
 */
import {
  MICROS_PER_UNIT,
  divideHalfUp,
  maxCents,
  notionalRoundedUp,
  notionalTimesRate,
  type Cents,
  type Micros,
  type Rate,
} from '@simplebank/money';

/** 100% in hundredths of a percent (strategies keep percentages so: "33.33" → 3333). */
export const WHOLE = 10_000n;

export interface FeeSchedule {
  minimum: Cents;
  rate: Rate;
}

export type SkipReason = 'too_small_for_fee' | 'no_quote';

export type Sized =
  | { kind: 'order'; quantity: Micros; limit: Cents; reservation: Cents; fee: Cents }
  | { kind: 'skip'; reason: SkipReason };

/** An allocation's share of the amount: amount × percentage / 100, rounded down to the cent. */
export function shareOf(amount: Cents, hundredths: bigint): Cents {
  return (amount * hundredths) / WHOLE;
}

/** The limit orders gives a market buy: 5% above the quote, half-up to the cent (services/orders). */
export function buyLimit(quote: Cents): Cents {
  return divideHalfUp(quote * 105n, 100n);
}

/** The fee rule of services/fees: max(minimum, rate × quantity × price), half-up to the cent once. */
export function feeFor(schedule: FeeSchedule, quantity: Micros, price: Cents): Cents {
  return maxCents(schedule.minimum, notionalTimesRate(quantity, price, schedule.rate));
}

/**
 * The most a buy of `quantity` under `limit` takes from cash: its reservation plus its fee. The fee
 * is budgeted at the limit price, not the quote: orders quotes the fee at the price it sees when
 * it takes the order, which may have moved up since; up to the limit, the fee there is no more.
 */
export function costOf(schedule: FeeSchedule, quantity: Micros, limit: Cents): Cents {
  return notionalRoundedUp(quantity, limit) + feeFor(schedule, quantity, limit);
}

/**
 * The largest quantity whose cost fits within `share`, found by bisection (cost never falls as
 * the quantity grows); none when even one micro-unit does not fit (the fee's minimum alone
 * takes the share, or nearly): the allocation is skipped and its share left over.
 */
export function sizeBuy(share: Cents, quote: Cents | undefined, schedule: FeeSchedule): Sized {
  if (quote === undefined || quote <= 0n) return { kind: 'skip', reason: 'no_quote' };
  const limit = buyLimit(quote);
  let lo = 0n;
  let hi = share > 0n ? (share * MICROS_PER_UNIT) / limit : 0n; // the reservation alone fits up to here
  while (lo < hi) {
    const mid = (lo + hi + 1n) / 2n;
    if (costOf(schedule, mid, limit) <= share) lo = mid;
    else hi = mid - 1n;
  }
  if (lo === 0n) return { kind: 'skip', reason: 'too_small_for_fee' };
  return {
    kind: 'order',
    quantity: lo,
    limit,
    reservation: notionalRoundedUp(lo, limit),
    fee: feeFor(schedule, lo, limit),
  };
}

export interface Allocation {
  assetId: string;
  /** Hundredths of a percent. */
  hundredths: bigint;
}

export type PlannedAllocation = Allocation & { share: Cents; quote: Cents | undefined } & Sized;

/** The plan of a whole investment: every allocation's share, and its buy or why it has none. */
export function planInvestment(
  amount: Cents,
  allocations: readonly Allocation[],
  quotes: ReadonlyMap<string, Cents>,
  schedule: FeeSchedule,
): PlannedAllocation[] {
  return allocations.map((a) => {
    const share = shareOf(amount, a.hundredths);
    const quote = quotes.get(a.assetId);
    return { ...a, share, quote, ...sizeBuy(share, quote, schedule) };
  });
}
