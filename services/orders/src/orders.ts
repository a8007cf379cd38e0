/** The order as others see it, and its status changes (each with its history entry and OrderStatusChanged). */
import type { Metrics, Static, Tx } from '@simplebank/chassis';
import { formatMoney, formatQuantity } from '@simplebank/money';
import { ordersContract, type Order } from './contract.ts';
import { statusesBefore, type OrderStatus } from './domain/order.ts';
import { orderIntake } from './intake.ts';
import { countStatus } from './metrics.ts';
import * as store from './store.ts';

export function toOrder(row: store.OrderRow): Static<typeof Order> {
  return {
    id: row.id,
    accountId: row.account_id,
    assetId: row.asset_id,
    side: row.side,
    quantity: formatQuantity(BigInt(row.quantity_micros)),
    type: 'market',
    status: row.status,
    quotePrice: formatMoney(BigInt(row.quote_price_cents)),
    limitPrice: formatMoney(BigInt(row.limit_price_cents)),
    fee: formatMoney(BigInt(row.fee_cents)),
    fillPrice:
      row.status === 'filled' && row.fill_price_cents !== null ? formatMoney(BigInt(row.fill_price_cents)) : null,
    reason: row.reason,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    history: row.history.map((h) => ({
      status: h.status,
      at: new Date(h.at).toISOString(),
      ...(h.reason ? { reason: h.reason } : {}),
    })),
    source: row.source,
    ...(row.investment_id !== null ? { investmentId: row.investment_id } : {}),
  };
}

export async function publishStatus(tx: Tx, row: store.OrderRow): Promise<void> {
  const order = toOrder(row);
  await tx.publish(
    ordersContract.events.OrderStatusChanged,
    {
      orderId: order.id,
      accountId: order.accountId,
      customerId: row.customer_id,
      assetId: order.assetId,
      side: order.side,
      quantity: order.quantity,
      status: order.status,
      reason: order.reason,
      fillPrice: order.fillPrice,
      fee: order.fee,
      at: order.updatedAt,
      source: order.source,
      ...(order.investmentId !== undefined ? { investmentId: order.investmentId } : {}),
    },
    { key: order.id },
  );
}

/**
 * Moves the order to `to` (locked, with a history entry, and OrderStatusChanged). A repeat of the
 * current status changes nothing; a transition the rules do not allow is refused (false) and logged.
 */
export async function changeStatus(
  tx: Tx,
  orderId: string,
  to: OrderStatus,
  o: {
    metrics: Metrics;
    reason?: string | null;
    fillPriceCents?: bigint;
    log?: { warn(obj: object, msg: string): void };
  },
): Promise<boolean> {
  const at = new Date();
  const moved = await store.transitionOrder(tx, orderId, {
    status: to,
    from: statusesBefore(to),
    reason: o.reason ?? null,
    at,
    fillPriceCents: o.fillPriceCents,
  });
  if (!moved) throw new Error(`Order ${orderId} does not exist`);
  const { before, after } = moved;
  if (before.status === to) return true;
  if (!after) {
    o.log?.warn({ orderId, from: before.status, to }, 'order status change not allowed; ignored');
    return false;
  }
  if (before.status === 'pending') tx.afterCommit(() => orderIntake.left(at.getTime() - before.created_at.getTime()));
  countStatus(o.metrics, tx, to, o.reason);
  await publishStatus(tx, after);
  return true;
}
