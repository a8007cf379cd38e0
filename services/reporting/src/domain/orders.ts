/**
 * The orders report's row of one order, folded from its OrderStatusChanged events in whatever
 * order they arrive: the status of the highest rank wins (pending < placed < an end: filled,
 * rejected, failed, canceled, expired), and among equal ranks the later one; the order was placed
 * at its earliest event; it filled when its `filled` event says. Folding the same events in any
 * order, any of them twice, gives the same row.
 */
import { formatMoney, notional, type Cents, type Micros } from '@simplebank/money';

export type OrderStatus = 'pending' | 'placed' | 'filled' | 'rejected' | 'failed' | 'canceled' | 'expired';

export interface OrderEvent {
  orderId: string;
  accountId: string;
  customerId: string;
  assetId: string;
  side: 'buy' | 'sell';
  quantity: Micros;
  status: OrderStatus;
  reason: string | null;
  fillPrice: Cents | null;
  fee: Cents;
  at: Date;
  source: 'customer' | 'strategy';
  investmentId: string | null;
}

export interface OrderRow {
  orderId: string;
  accountId: string;
  customerId: string;
  assetId: string;
  side: 'buy' | 'sell';
  quantity: Micros;
  status: OrderStatus;
  statusAt: Date;
  reason: string | null;
  fee: Cents;
  fillPrice: Cents | null;
  placedAt: Date;
  filledAt: Date | null;
  source: 'customer' | 'strategy';
  investmentId: string | null;
}

export function rankOf(status: OrderStatus): number {
  return status === 'pending' ? 0 : status === 'placed' ? 1 : 2;
}

/** Whether the event's status supersedes the row's. */
function supersedes(e: OrderEvent, row: OrderRow): boolean {
  const byRank = rankOf(e.status) - rankOf(row.status);
  if (byRank !== 0) return byRank > 0;
  return e.at.getTime() > row.statusAt.getTime();
}

export function foldOrder(row: OrderRow | undefined, e: OrderEvent): OrderRow {
  const filledAt = e.status === 'filled' ? e.at : null;
  if (!row) {
    return {
      orderId: e.orderId,
      accountId: e.accountId,
      customerId: e.customerId,
      assetId: e.assetId,
      side: e.side,
      quantity: e.quantity,
      status: e.status,
      statusAt: e.at,
      reason: e.reason,
      fee: e.fee,
      fillPrice: e.fillPrice,
      placedAt: e.at,
      filledAt,
      source: e.source,
      investmentId: e.investmentId,
    };
  }
  const next: OrderRow = {
    ...row,
    placedAt: e.at.getTime() < row.placedAt.getTime() ? e.at : row.placedAt,
    filledAt: row.filledAt ?? filledAt,
    investmentId: row.investmentId ?? e.investmentId,
    source: row.source === 'strategy' || e.source === 'strategy' ? 'strategy' : 'customer',
  };
  if (supersedes(e, row)) {
    next.status = e.status;
    next.statusAt = e.at;
    next.reason = e.reason;
    next.fee = e.fee;
    next.fillPrice = e.fillPrice ?? row.fillPrice;
  }
  return next;
}

/** What the order was worth at its fill, quantity × fill price (half-up to the cent), as the ledger settled it; null until filled. */
export function notionalOf(row: Pick<OrderRow, 'quantity' | 'fillPrice' | 'status'>): string | null {
  return row.status === 'filled' && row.fillPrice !== null ? formatMoney(notional(row.quantity, row.fillPrice)) : null;
}
