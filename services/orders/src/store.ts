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

/** A new order, pending, with its first history entry: one statement. Answers the order as stored. */
export async function insertOrder(db: Queryable, o: NewOrder): Promise<OrderRow> {
  const { rows } = await db.query<{ seq: string }>(
    `WITH created AS (
       INSERT INTO orders (id, customer_id, account_id, asset_id, side, quantity_micros, quote_price_cents, limit_price_cents, fee_cents,
                           fee_schedule_version, status, expires_at, created_at, updated_at, source, investment_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', $11, $12, $12, $13, $14) RETURNING id, seq),
     entry AS (INSERT INTO order_history (order_id, n, status, reason, at) SELECT id, 1, 'pending', NULL, $12 FROM created)
     SELECT seq::text FROM created`,
    [
      o.id,
      o.customerId,
      o.accountId,
      o.assetId,
      o.side,
      o.quantityMicros.toString(),
      o.quotePriceCents.toString(),
      o.limitPriceCents.toString(),
      o.feeCents.toString(),
      o.feeScheduleVersion,
      o.expiresAt,
      o.createdAt,
      o.source,
      o.investmentId,
    ],
  );
  return {
    id: o.id,
    seq: rows[0]!.seq,
    customer_id: o.customerId,
    account_id: o.accountId,
    asset_id: o.assetId,
    side: o.side,
    quantity_micros: o.quantityMicros.toString(),
    quote_price_cents: o.quotePriceCents.toString(),
    limit_price_cents: o.limitPriceCents.toString(),
    fee_cents: o.feeCents.toString(),
    fee_schedule_version: o.feeScheduleVersion,
    status: 'pending',
    reason: null,
    fill_price_cents: null,
    expires_at: o.expiresAt,
    placement_sent_at: null,
    created_at: o.createdAt,
    updated_at: o.createdAt,
    source: o.source,
    investment_id: o.investmentId,
    history: [{ status: 'pending', at: o.createdAt.toISOString(), reason: null }],
  };
}

/** The order; with `lock`, locked for the rest of the transaction (read and locked in one statement). */
export async function getOrder(db: Queryable, id: string, o: { lock?: boolean } = {}): Promise<OrderRow | undefined> {
  const { rows } = await db.query<OrderRow>(
    `SELECT ${COLUMNS} FROM orders o WHERE o.id = $1${o.lock ? ' FOR UPDATE OF o' : ''}`,
    [id],
  );
  return rows[0];
}

export async function listOrders(
  db: Queryable,
  q: { customerId?: string; accountId?: string; status?: OrderStatus; beforeSeq?: bigint; limit: number },
): Promise<OrderRow[]> {
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
  const { rows } = await db.query<OrderRow>(
    `SELECT ${COLUMNS} FROM orders o ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY o.seq DESC LIMIT $${params.length}`,
    params,
  );
  return rows;
}

/**
 * The newest `limit` orders of each account of `accountIds` (of one customer, and one status, when
 * given), one query: rows in the order of the accounts asked, each account's newest first.
 */
export async function listOrdersOf(
  db: Queryable,
  q: { accountIds: readonly string[]; customerId?: string; status?: OrderStatus; limit: number },
): Promise<Array<OrderRow & { page_account: string }>> {
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
 * Moves the order to `status` when its status is one of `from`, with its history entry, in one
 * statement that locks the row (a status change used to be a locking read and then an update: two
 * round trips). Answers the order as it was (`before`) and, when it moved, as it now is — built from
 * the row read under the lock, as nothing else can have changed it since. Undefined: no such order.
 */
export async function transitionOrder(
  db: Queryable,
  id: string,
  change: {
    status: OrderStatus;
    from: readonly OrderStatus[];
    reason: string | null;
    at: Date;
    fillPriceCents?: bigint | undefined;
  },
): Promise<{ before: OrderRow; after: OrderRow | undefined } | undefined> {
  const fill = change.fillPriceCents?.toString() ?? null;
  // `cur` is the row as locked (the newest version, as the locking read before it was); the history
  // insert aggregates (max(n)), so HAVING, not WHERE, keeps it from adding a row when the update did
  // not happen.
  const { rows } = await db.query<OrderRow & { moved: boolean }>(
    `WITH cur AS (SELECT ${COLUMNS} FROM orders o WHERE o.id = $1 FOR UPDATE OF o),
          upd AS (UPDATE orders o SET status = $2, reason = $3, updated_at = $4, fill_price_cents = coalesce($5, o.fill_price_cents)
                  FROM cur WHERE o.id = cur.id AND o.status = ANY($6::text[]) RETURNING o.id),
          entry AS (INSERT INTO order_history (order_id, n, status, reason, at)
                    SELECT $1, coalesce(max(n), 0) + 1, $2, $3, $4 FROM order_history WHERE order_id = $1 HAVING EXISTS (SELECT 1 FROM upd))
     SELECT cur.*, EXISTS (SELECT 1 FROM upd) AS moved FROM cur`,
    [id, change.status, change.reason, change.at, fill, change.from],
  );
  const row = rows[0];
  if (!row) return undefined;
  const { moved, ...before } = row;
  if (!moved) return { before, after: undefined };
  const after: OrderRow = {
    ...before,
    status: change.status,
    reason: change.reason,
    updated_at: change.at,
    fill_price_cents: fill ?? before.fill_price_cents,
    history: [...before.history, { status: change.status, at: change.at.toISOString(), reason: change.reason }],
  };
  return { before, after };
}

export async function markPlacementSent(db: Queryable, id: string, at: Date): Promise<void> {
  await db.query('UPDATE orders SET placement_sent_at = coalesce(placement_sent_at, $2) WHERE id = $1', [id, at]);
}

/** The exchange filled the order at this price (the order is `filled` once settled). */
export async function recordFill(db: Queryable, id: string, fillPriceCents: bigint): Promise<void> {
  await db.query('UPDATE orders SET fill_price_cents = $2 WHERE id = $1', [id, fillPriceCents.toString()]);
}
