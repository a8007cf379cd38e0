/**
 * The rules of an investment, pure: what an investment request must be, how its orders' statuses
 * move, and its running totals (decision 21). Money in cents, quantities in micro-units.
 */
import { MAX_PAYMENT_CENTS, formatMoney, notional, parseMoney, type Cents, type Micros } from '@simplebank/money';
import type { SkipReason } from './sizing.ts';

export type InvestmentStatus = 'awaiting_payment' | 'ordering' | 'completed' | 'failed';
export type OrderStatus = 'pending' | 'placed' | 'filled' | 'rejected' | 'failed' | 'canceled' | 'expired';

export interface FieldProblem {
  path: string;
  message: string;
}

/** A strategy's percentage as strategies publishes it, exactly two decimals ("33.33") → 3333n. */
export function hundredthsOf(percentage: string): bigint {
  if (!/^(0|[1-9]\d{0,2})\.\d{2}$/.test(percentage)) throw new Error(`not a two-decimal percentage: "${percentage}"`);
  return BigInt(percentage.replace('.', ''));
}

/**
 * An investment request's own rules: a positive amount within the limit per payment (it is one
 * payment), a card with the card method and only with it. Every problem, each naming its field.
 */
export function checkInvestment(req: {
  amount: string;
  method: 'card' | 'bank_transfer';
  card?: { number: string } | undefined;
}): { amount: Cents } | { problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const amount = parseMoney(req.amount);
  if (amount <= 0n) problems.push({ path: '/amount', message: 'must be more than 0.00' });
  if (amount > MAX_PAYMENT_CENTS)
    problems.push({
      path: '/amount',
      message: `must be at most ${formatMoney(MAX_PAYMENT_CENTS)} (the limit per payment)`,
    });
  if (req.method === 'card' && !req.card) problems.push({ path: '/card', message: 'is required when method is card' });
  if (req.method !== 'card' && req.card)
    problems.push({ path: '/card', message: 'is allowed only when method is card' });
  return problems.length > 0 ? { problems } : { amount };
}

const TERMINAL: ReadonlySet<OrderStatus> = new Set(['filled', 'rejected', 'failed', 'canceled', 'expired']);

export function isTerminal(status: OrderStatus): boolean {
  return TERMINAL.has(status);
}

/**
 * An order's status as the investment shows it, given news of it (events may come twice or out of
 * order): an ended order stays as it ended, and `placed` is not undone by a late `pending`.
 */
export function nextOrderStatus(current: OrderStatus, news: OrderStatus): OrderStatus {
  if (isTerminal(current)) return current;
  if (current === 'placed' && news === 'pending') return current;
  return news;
}

/** One allocation of an investment as it stands. */
export interface AllocationState {
  assetId: string;
  share: Cents;
  /** Set when the allocation has no order (too small for the fee, no quote, or refused by orders). */
  skipped: SkipReason | string | null;
  orderId: string | null;
  orderStatus: OrderStatus | null;
  quantity: Micros | null;
  fillPrice: Cents | null;
  /** The order's fee, as orders charged it. */
  fee: Cents | null;
}

export interface Totals {
  invested: Cents;
  fees: Cents;
  leftover: Cents;
}

/**
 * The running totals (decision 21). Until the payment completed nothing is in the account: all
 * zero. Then `invested` and `fees` are those of the filled orders (the fill's cost as the ledger
 * settles it: quantity × fill price, half-up), and `leftover` what is certain to stay as cash: the
 * amount less what was spent and less the shares of orders still open (not yet placed, or not
 * ended). Once every order has ended, invested + fees + leftover = amount.
 */
export function totals(amount: Cents, paid: boolean, allocations: readonly AllocationState[]): Totals {
  if (!paid) return { invested: 0n, fees: 0n, leftover: 0n };
  let invested = 0n;
  let fees = 0n;
  let open = 0n;
  for (const a of allocations) {
    if (a.orderStatus === 'filled' && a.quantity !== null && a.fillPrice !== null) {
      invested += notional(a.quantity, a.fillPrice);
      fees += a.fee ?? 0n;
    } else if (a.skipped === null && (a.orderStatus === null || !isTerminal(a.orderStatus))) {
      open += a.share;
    }
  }
  return { invested, fees, leftover: amount - invested - fees - open };
}

/** Every allocation is settled: skipped, or its order has ended. */
export function allEnded(allocations: readonly AllocationState[]): boolean {
  return allocations.every((a) => a.skipped !== null || (a.orderStatus !== null && isTerminal(a.orderStatus)));
}
