/** orders' SQL. */
import type { Queryable } from '@simplebank/chassis';
import type { OrderSource, OrderStatus, Side } from './domain/order.ts';

export type OrderRow = {
  id: string;
  seq: string;
  customer_id: string;
  account_id: string;
  asset_id: string;
  side: Side;
  quantity_micros: string;
  quote_price_cents: string;
  limit_price_cents: string;
  fee_cents: string;
  fee_schedule_version: number;
  status: OrderStatus;
  reason: string | null;
  fill_price_cents: string | null;
  expires_at: Date;
  placement_sent_at: Date | null;
  created_at: Date;
  updated_at: Date;
  source: OrderSource;
  investment_id: string | null;
  history: Array<{ status: OrderStatus; at: string; reason: string | null }>;
};

const COLUMNS = `o.id, o.seq::text, o.customer_id, o.account_id, o.asset_id, o.side, o.quantity_micros::text, o.quote_price_cents::text,
  o.limit_price_cents::text, o.fee_cents::text, o.fee_schedule_version, o.status, o.reason, o.fill_price_cents::text, o.expires_at,
  o.placement_sent_at, o.created_at, o.updated_at, o.source, o.investment_id,
  (SELECT coalesce(json_agg(json_build_object('status', h.status, 'at', h.at, 'reason', h.reason) ORDER BY h.n), '[]'::json)
     FROM order_history h WHERE h.order_id = o.id) AS history`;

export interface NewOrder {
  id: string;
  customerId: string;
  accountId: string;
  assetId: string;
  side: Side;
  quantityMicros: bigint;
  quotePriceCents: bigint;
  limitPriceCents: bigint;
  feeCents: bigint;
  feeScheduleVersion: number;
  createdAt: Date;
  expiresAt: Date;
  source: OrderSource;
  investmentId: string | null;
}

export async function insertOrder(db: Queryable, o: NewOrder): Promise<void> {
  await db.query(
    `INSERT INTO orders (id, customer_id, account_id, asset_id, side, quantity_micros, quote_price_cents, limit_price_cents, fee_cents,
                         fee_schedule_version, status, expires_at, created_at, updated_at, source, investment_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', $11, $12, $12, $13, $14)`,
    [o.id, o.customerId, o.accountId, o.assetId, o.side, o.quantityMicros.toString(), o.quotePriceCents.toString(), o.limitPriceCents.toString(), o.feeCents.toString(), o.feeScheduleVersion, o.expiresAt, o.createdAt, o.source, o.investmentId],
  );
  await addHistory(db, o.id, 'pending', null, o.createdAt);
}

/** The next history entry of order $1: status $2, reason $3, at $4. */
const ADD_HISTORY = 'INSERT INTO order_history (order_id, n, status, reason, at) SELECT $1, coalesce(max(n), 0) + 1, $2, $3, $4 FROM order_history WHERE order_id = $1';

async function addHistory(db: Queryable, orderId: string, status: OrderStatus, reason: string | null, at: Date): Promise<void> {
  await db.query(ADD_HISTORY, [orderId, status, reason, at]);
}

/** The order; with `lock`, locked for the rest of the transaction (read and locked in one statement). */
export async function getOrder(db: Queryable, id: string, o: { lock?: boolean } = {}): Promise<OrderRow | undefined> {
  const { rows } = await db.query<OrderRow>(`SELECT ${COLUMNS} FROM orders o WHERE o.id = $1${o.lock ? ' FOR UPDATE OF o' : ''}`, [id]);
  return rows[0];
}

export async function listOrders(db: Queryable, q: { customerId?: string; accountId?: string; status?: OrderStatus; beforeSeq?: bigint; limit: number }): Promise<OrderRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (q.customerId !== undefined) add('o.customer_id = ?', q.customerId);
  if (q.accountId !== undefined) add('o.account_id = ?', q.accountId);
  if (q.status !== undefined) add('o.status = ?', q.status);
  if (q.beforeSeq !== undefined) add('o.seq < ?', q.beforeSeq.toString());
  params.push(q.limit);
  const { rows } = await db.query<OrderRow>(`SELECT ${COLUMNS} FROM orders o ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY o.seq DESC LIMIT $${params.length}`, params);
  return rows;
}

/**
 * The newest `limit` orders of each account of `accountIds` (of one customer, and one status, when
 * given), one query: rows in the order of the accounts asked, each account's newest first.
 */
export async function listOrdersOf(db: Queryable, q: { accountIds: readonly string[]; customerId?: string; status?: OrderStatus; limit: number }): Promise<Array<OrderRow & { page_account: string }>> {
  const { rows } = await db.query<OrderRow & { page_account: string }>(
    `SELECT x.account_id AS page_account, p.* FROM unnest($1::text[]) WITH ORDINALITY AS x(account_id, ord)
       CROSS JOIN LATERAL (SELECT ${COLUMNS} FROM orders o
                            WHERE o.account_id = x.account_id AND ($2::text IS NULL OR o.customer_id = $2) AND ($3::text IS NULL OR o.status = $3)
                            ORDER BY o.seq DESC LIMIT $4) p
      ORDER BY x.ord, p.seq::bigint DESC`,
    [q.accountIds, q.customerId ?? null, q.status ?? null, q.limit],
  );
  return rows;
}

/**
 * Sets the status of a locked order with its history entry, in one statement; returns the order as
 * it now is, built from `locked` (the row as read under the lock: nothing else can have changed it).
 */
export async function setStatus(db: Queryable, locked: OrderRow, status: OrderStatus, reason: string | null, at: Date, fillPriceCents?: bigint): Promise<OrderRow> {
  const fill = fillPriceCents?.toString() ?? null;
  await db.query(
    `WITH entry AS (${ADD_HISTORY})
     UPDATE orders SET status = $2, reason = $3, updated_at = $4, fill_price_cents = coalesce($5, fill_price_cents) WHERE id = $1`,
    [locked.id, status, reason, at, fill],
  );
  return { ...locked, status, reason, updated_at: at, fill_price_cents: fill ?? locked.fill_price_cents, history: [...locked.history, { status, at: at.toISOString(), reason }] };
}

export async function markPlacementSent(db: Queryable, id: string, at: Date): Promise<void> {
  await db.query('UPDATE orders SET placement_sent_at = coalesce(placement_sent_at, $2) WHERE id = $1', [id, at]);
}

/** The exchange filled the order at this price (the order is `filled` once settled). */
export async function recordFill(db: Queryable, id: string, fillPriceCents: bigint): Promise<void> {
  await db.query('UPDATE orders SET fill_price_cents = $2 WHERE id = $1', [id, fillPriceCents.toString()]);
}
