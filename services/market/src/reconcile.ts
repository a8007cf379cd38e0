/**
 * Reconciliation with the exchange, as a broker does before it books a fill: the order the exchange
 * holds under our client order id must be the one we placed — same asset, side, quantity and limit,
 * and a fill at or within that limit. Anyone else who reached the exchange first (or a confused
 * exchange) could otherwise make us book a trade we never asked for.
 */
import { parseMoney, parseQuantity } from '@simplebank/money';
import type { ExchangeOrderView } from './exchange-client.ts';
import type { JobRow } from './store.ts';

/** What differs between the job and the exchange's order; undefined when it is ours as placed. */
export function mismatchOf(job: JobRow, order: ExchangeOrderView): string | undefined {
  const differences: string[] = [];
  if (order.clientOrderId !== job.order_id) differences.push(`clientOrderId ${order.clientOrderId}`);
  if (job.exchange_order_id !== null && order.id !== job.exchange_order_id)
    differences.push(`id ${order.id}, placed as ${job.exchange_order_id}`);
  if (order.assetId !== job.asset_id) differences.push(`asset ${order.assetId}, placed ${job.asset_id}`);
  if (order.side !== job.side) differences.push(`side ${order.side}, placed ${job.side}`);
  if (!sameAmount(() => parseQuantity(order.quantity), job.quantity_micros))
    differences.push(`quantity ${order.quantity}`);
  if (!sameAmount(() => parseMoney(order.limitPrice), job.limit_price_cents))
    differences.push(`limit ${order.limitPrice}`);
  if (order.status === 'filled') {
    const fill = amount(() => (order.fillPrice === null ? undefined : parseMoney(order.fillPrice)));
    const limit = BigInt(job.limit_price_cents ?? '0');
    if (fill === undefined) differences.push('filled without a price');
    else if (job.side === 'buy' ? fill > limit : fill < limit)
      differences.push(`fill price ${order.fillPrice} outside the limit`);
  }
  return differences.length > 0 ? differences.join('; ') : undefined;
}

function amount(parse: () => bigint | undefined): bigint | undefined {
  try {
    return parse();
  } catch {
    return undefined;
  }
}

function sameAmount(parse: () => bigint, stored: string | null): boolean {
  const value = amount(parse);
  return value !== undefined && stored !== null && value === BigInt(stored);
}
