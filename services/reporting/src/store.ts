/** reporting's SQL: the retained event log, the projections, and the reads of the reports. */
import type { Queryable } from '@simplebank/chassis';
import type { FeeSum } from './domain/fees.ts';
import type { OrderRow, OrderStatus } from './domain/orders.ts';
import type { LedgerKind, NettedPosting, OrderSummary } from './domain/statement.ts';

export type StoredEvent = {
  seq: string;
  id: string;
  type: string;
  time: Date;
  data: unknown;
};

/** Keeps the event in the log; false when it is there already (a redelivery, a replay). */
export async function retainEvent(
  tx: Queryable,
  e: { id: string; type: string; time: string; data: unknown },
): Promise<boolean> {
  const r = await tx.query(
    'INSERT INTO events (id, type, time, data) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING',
    [e.id, e.type, e.time, JSON.stringify(e.data)],
  );
  return r.rowCount === 1;
}

/** Up to `limit` retained events after `afterSeq`, in the order they were first applied. */
export async function eventsAfter(db: Queryable, afterSeq: string, limit: number): Promise<StoredEvent[]> {
  const { rows } = await db.query<StoredEvent>(
    'SELECT seq::text, id, type, time, data FROM events WHERE seq > $1::bigint ORDER BY events.seq LIMIT $2',
    [afterSeq, limit],
  );
  return rows;
}

/** The time of the newest event applied: how current the model is. */
export async function asOf(db: Queryable): Promise<Date | null> {
  const { rows } = await db.query<{ t: Date | null }>('SELECT max(time) AS t FROM events');
  return rows[0]?.t ?? null;
}

/** Empties the projections (not the event log, not the catalogue), blocking new events until the caller's transaction ends. */
export async function clearProjections(tx: Queryable): Promise<void> {
  // Consumers insert into `events` first: this lock makes them wait for the rebuild; readers go on.
  await tx.query('LOCK TABLE events IN EXCLUSIVE MODE');
  await tx.query('DELETE FROM orders');
  await tx.query('DELETE FROM fee_events');
  await tx.query('DELETE FROM postings');
}

export async function counts(
  db: Queryable,
): Promise<{ events: number; orders: number; fees: number; postings: number }> {
  const { rows } = await db.query<{ events: string; orders: string; fees: string; postings: string }>(
    `SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM orders) AS orders,
            (SELECT count(*) FROM fee_events) AS fees, (SELECT count(*) FROM postings) AS postings`,
  );
  const r = rows[0]!;
  return { events: Number(r.events), orders: Number(r.orders), fees: Number(r.fees), postings: Number(r.postings) };
}

// --- orders ----------------------------------------------------------------------------------

type RawOrder = {
  order_id: string;
  account_id: string;
  customer_id: string;
  asset_id: string;
  side: 'buy' | 'sell';
  quantity_micros: string;
  status: OrderStatus;
  status_at: Date;
  reason: string | null;
  fee_cents: string;
  fill_price_cents: string | null;
  placed_at: Date;
  filled_at: Date | null;
  source: 'customer' | 'strategy';
  investment_id: string | null;
};

function toOrder(r: RawOrder): OrderRow {
  return {
    orderId: r.order_id,
    accountId: r.account_id,
    customerId: r.customer_id,
    assetId: r.asset_id,
    side: r.side,
    quantity: BigInt(r.quantity_micros),
    status: r.status,
    statusAt: r.status_at,
    reason: r.reason,
    fee: BigInt(r.fee_cents),
    fillPrice: r.fill_price_cents === null ? null : BigInt(r.fill_price_cents),
    placedAt: r.placed_at,
    filledAt: r.filled_at,
    source: r.source,
    investmentId: r.investment_id,
  };
}

/** The orders table's columns as RawOrder reads them, of the table named `t`. */
const orderColumns = (t = 'orders') =>
  [
    `order_id`,
    `account_id`,
    `customer_id`,
    `asset_id`,
    `side`,
    `quantity_micros::text AS quantity_micros`,
    `status`,
    `status_at`,
    `reason`,
    `fee_cents::text AS fee_cents`,
    `fill_price_cents::text AS fill_price_cents`,
    `placed_at`,
    `filled_at`,
    `source`,
    `investment_id`,
  ]
    .map((c) => `${t}.${c}`)
    .join(', ');

/**
 * The order's row for the fold, under a transaction-scoped lock of the order's id: two consumers
 * folding events of one order (instances of reporting) take turns, even before its row exists.
 */
export async function lockOrder(tx: Queryable, orderId: string): Promise<OrderRow | undefined> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`reporting:order:${orderId}`]);
  const { rows } = await tx.query<RawOrder>(`SELECT ${orderColumns()} FROM orders WHERE order_id = $1`, [orderId]);
  return rows[0] ? toOrder(rows[0]) : undefined;
}

export async function saveOrder(tx: Queryable, o: OrderRow): Promise<void> {
  await tx.query(
    `INSERT INTO orders (order_id, account_id, customer_id, asset_id, side, quantity_micros, status, status_at, reason, fee_cents, fill_price_cents, placed_at, filled_at, source, investment_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
     ON CONFLICT (order_id) DO UPDATE SET status = EXCLUDED.status, status_at = EXCLUDED.status_at, reason = EXCLUDED.reason, fee_cents = EXCLUDED.fee_cents,
       fill_price_cents = EXCLUDED.fill_price_cents, placed_at = EXCLUDED.placed_at, filled_at = EXCLUDED.filled_at, source = EXCLUDED.source, investment_id = EXCLUDED.investment_id`,
    [
      o.orderId,
      o.accountId,
      o.customerId,
      o.assetId,
      o.side,
      o.quantity.toString(),
      o.status,
      o.statusAt,
      o.reason,
      o.fee.toString(),
      o.fillPrice?.toString() ?? null,
      o.placedAt,
      o.filledAt,
      o.source,
      o.investmentId,
    ],
  );
}

export type OrderReportRow = OrderRow & { assetName: string | null; assetType: 'stock' | 'fund' | 'etf' | null };

/** Orders placed in [from, to), newest first, after the cursor's (placedAt, orderId). */
export async function listOrders(
  db: Queryable,
  q: {
    customerId?: string | undefined;
    accountId?: string | undefined;
    status?: string | undefined;
    from: Date;
    to: Date;
    before?: { placedAt: Date; orderId: string } | undefined;
    limit: number;
  },
): Promise<OrderReportRow[]> {
  const { rows } = await db.query<
    RawOrder & { asset_name: string | null; asset_type: 'stock' | 'fund' | 'etf' | null }
  >(
    `SELECT ${orderColumns('o')}, a.name AS asset_name, a.type AS asset_type
       FROM orders o LEFT JOIN assets a ON a.id = o.asset_id
      WHERE ($1::text IS NULL OR o.customer_id = $1) AND ($2::text IS NULL OR o.account_id = $2) AND ($3::text IS NULL OR o.status = $3)
        AND o.placed_at >= $4 AND o.placed_at < $5
        AND ($6::timestamptz IS NULL OR (o.placed_at, o.order_id) < ($6::timestamptz, $7::text))
      ORDER BY o.placed_at DESC, o.order_id DESC LIMIT $8`,
    [
      q.customerId ?? null,
      q.accountId ?? null,
      q.status ?? null,
      q.from,
      q.to,
      q.before?.placedAt ?? null,
      q.before?.orderId ?? null,
      q.limit,
    ],
  );
  return rows.map((r) => ({ ...toOrder(r), assetName: r.asset_name, assetType: r.asset_type }));
}

// --- fees ------------------------------------------------------------------------------------

export async function saveFeeEvent(
  tx: Queryable,
  f: { feeId: string; kind: 'charged' | 'refunded'; orderId: string; accountId: string; amount: bigint; at: string },
): Promise<void> {
  await tx.query(
    'INSERT INTO fee_events (fee_id, kind, order_id, account_id, amount_cents, at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (fee_id, kind) DO NOTHING',
    [f.feeId, f.kind, f.orderId, f.accountId, f.amount.toString(), f.at],
  );
}

/** Fee events in [from, to) summed per UTC day, the order's side and asset type, and kind (sums as exact numerics). */
export async function feeSums(db: Queryable, from: Date, to: Date): Promise<FeeSum[]> {
  const { rows } = await db.query<{
    day: string;
    side: 'buy' | 'sell' | null;
    asset_type: FeeSum['assetType'];
    kind: FeeSum['kind'];
    count: string;
    amount: string;
  }>(
    `SELECT to_char((f.at AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS day, o.side, a.type AS asset_type, f.kind,
            count(*)::text AS count, sum(f.amount_cents)::text AS amount
       FROM fee_events f LEFT JOIN orders o ON o.order_id = f.order_id LEFT JOIN assets a ON a.id = o.asset_id
      WHERE f.at >= $1 AND f.at < $2
      GROUP BY 1, 2, 3, 4`,
    [from, to],
  );
  return rows.map((r) => ({
    day: r.day,
    side: r.side,
    assetType: r.asset_type,
    kind: r.kind,
    count: Number(r.count),
    amount: BigInt(r.amount),
  }));
}

// --- postings --------------------------------------------------------------------------------

export async function savePosting(tx: Queryable, accountId: string, p: NettedPosting): Promise<void> {
  await tx.query(
    `INSERT INTO postings (posting_id, account_id, kind, at, order_id, payment_id, price_cents, cash_cents, asset_id, quantity_micros)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (posting_id) DO NOTHING`,
    [
      p.postingId,
      accountId,
      p.kind,
      p.at,
      p.orderId,
      p.paymentId,
      p.price?.toString() ?? null,
      p.cash.toString(),
      p.assetId,
      p.quantity?.toString() ?? null,
    ],
  );
}

/**
 * The account's statement rows, in one statement (one snapshot): its cash before `from` (the sum
 * of every earlier posting's net cash, an exact numeric) and its postings in [from, to) that moved
 * cash, in posting time order, with what is known of their orders.
 */
export async function statementRows(
  db: Queryable,
  accountId: string,
  from: Date,
  to: Date,
): Promise<{ opening: bigint; postings: NettedPosting[]; orders: Map<string, OrderSummary> }> {
  const { rows } = await db.query<{
    opening: string;
    posting_id: string | null;
    kind: LedgerKind;
    at: Date;
    order_id: string | null;
    payment_id: string | null;
    price_cents: string | null;
    cash_cents: string;
    asset_id: string | null;
    quantity_micros: string | null;
    o_side: 'buy' | 'sell' | null;
    o_quantity: string | null;
    o_asset: string | null;
  }>(
    `SELECT (SELECT COALESCE(sum(cash_cents), 0)::text FROM postings WHERE account_id = $1 AND at < $2) AS opening,
            p.posting_id, p.kind, p.at, p.order_id, p.payment_id, p.price_cents::text AS price_cents, p.cash_cents::text AS cash_cents, p.asset_id,
            p.quantity_micros::text AS quantity_micros, o.side AS o_side, o.quantity_micros::text AS o_quantity, o.asset_id AS o_asset
       FROM (SELECT 1) AS one
       LEFT JOIN (postings p LEFT JOIN orders o ON o.order_id = p.order_id)
         ON p.account_id = $1 AND p.at >= $2 AND p.at < $3 AND p.cash_cents <> 0
      ORDER BY p.at, p.posting_id`,
    [accountId, from, to],
  );
  const orders = new Map<string, OrderSummary>();
  const postings: NettedPosting[] = [];
  for (const r of rows) {
    if (r.posting_id === null) continue;
    if (r.order_id && r.o_side && r.o_quantity && r.o_asset)
      orders.set(r.order_id, { side: r.o_side, quantity: BigInt(r.o_quantity), assetId: r.o_asset });
    postings.push({
      postingId: r.posting_id,
      kind: r.kind,
      at: r.at,
      orderId: r.order_id,
      paymentId: r.payment_id,
      price: r.price_cents === null ? null : BigInt(r.price_cents),
      cash: BigInt(r.cash_cents),
      assetId: r.asset_id,
      quantity: r.quantity_micros === null ? null : BigInt(r.quantity_micros),
    });
  }
  return { opening: BigInt(rows[0]!.opening), postings, orders };
}
