/** The business rules of an order (domain.md "Orders and the place-order saga"). Pure: no I/O. */
import {
  MAX_ORDER_NOTIONAL_CENTS,
  divideHalfUp,
  notionalRoundedUp,
  parseMoney,
  parseQuantity,
  formatMoney,
  type Cents,
  type Micros,
} from '@simplebank/money';

export type Side = 'buy' | 'sell';
export type OrderStatus = 'pending' | 'placed' | 'filled' | 'rejected' | 'failed' | 'canceled' | 'expired';
export type OrderSource = 'customer' | 'strategy';

/** Every market order carries a limit 5% away from the quote, half-up to the cent: ×1.05 (buy), ×0.95 (sell). */
export function limitPrice(quote: Cents, side: Side): Cents {
  return divideHalfUp(quote * (side === 'buy' ? 105n : 95n), 100n);
}

/**
 * The limit of an order whose caller bounded it (`maxLimitPrice`, a buy only): the lower of the
 * usual limit and the bound, so the buy reserves at most quantity × the bound.
 */
export function boundedLimitPrice(quote: Cents, side: Side, maxLimit: Cents | undefined): Cents {
  const usual = limitPrice(quote, side);
  return maxLimit !== undefined && side === 'buy' && maxLimit < usual ? maxLimit : usual;
}

/** What a buy reserves: quantity × limit price, rounded up to the cent (so any fill within the limit fits). */
export function buyReservation(quantity: string, limit: string): string {
  return formatMoney(notionalRoundedUp(parseQuantity(quantity), parseMoney(limit)));
}

/**
 * The limit of an order's notional (docs/limits.md): quantity × limit price, rounded up — what a buy
 * reserves, and at least what a sell may bring — is at most MAX_ORDER_NOTIONAL_CENTS. Undefined
 * when within it, else the field problem to answer.
 */
export function notionalOverLimit(quantity: Micros, limit: Cents): { path: string; message: string } | undefined {
  if (notionalRoundedUp(quantity, limit) <= MAX_ORDER_NOTIONAL_CENTS) return undefined;
  return {
    path: '/quantity',
    message: `quantity × limit price (${formatMoney(limit)}) must be at most ${formatMoney(MAX_ORDER_NOTIONAL_CENTS)} (the limit of an order's notional)`,
  };
}

const NEXT: Record<OrderStatus, readonly OrderStatus[]> = {
  pending: ['placed', 'rejected', 'failed', 'canceled', 'expired'],
  placed: ['filled', 'failed', 'canceled', 'expired'],
  filled: [],
  rejected: [],
  failed: [],
  canceled: [],
  expired: [],
};

/** The statuses an order may move to `to` from (the store checks it in the statement that moves it). */
export function statusesBefore(to: OrderStatus): OrderStatus[] {
  return (Object.keys(NEXT) as OrderStatus[]).filter((from) => NEXT[from].includes(to));
}

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return NEXT[from].includes(to);
}

export function isTerminal(status: OrderStatus): boolean {
  return NEXT[status].length === 0;
}

/** A customer may cancel an order until it is filled or has ended. */
export function isCancelable(status: OrderStatus, fillReceived: boolean): boolean {
  return !isTerminal(status) && !fillReceived;
}

/** How a compensated saga ends the order: business refusals reject it; the rest by their cause. */
export function statusAfterFailure(code: string): OrderStatus {
  switch (code) {
    case 'insufficient_funds':
    case 'insufficient_position':
      return 'rejected';
    case 'expired':
      return 'expired';
    case 'canceled_by_customer':
      return 'canceled';
    default:
      return 'failed'; // exchange_rejected, exchange_unavailable, and any technical failure
  }
}

/** When an order created at `createdAt` expires. */
export function expiresAt(createdAt: Date, ttlSeconds: number): Date {
  return new Date(createdAt.getTime() + ttlSeconds * 1000);
}
