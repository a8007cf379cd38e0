/** strategy-orders' SQL. */
import type { Queryable } from '@simplebank/chassis';
import type { InvestmentStatus, OrderStatus } from './domain/investment.ts';
import type { PlannedAllocation } from './domain/sizing.ts';

export type KnownStrategy = {
  id: string;
  name: string;
  assets: Array<{ assetId: string; percentage: string }>;
};

export interface AllocationRow {
  position: number;
  assetId: string;
  hundredths: bigint;
  share: bigint;
  quote: bigint | null;
  limit: bigint | null;
  quantity: bigint | null;
  skipped: string | null;
  orderId: string | null;
  orderStatus: OrderStatus | null;
  fillPrice: bigint | null;
  fee: bigint | null;
}

export interface InvestmentRow {
  id: string;
  seq: string;
  customerId: string;
  strategyId: string;
  accountId: string;
  amount: bigint;
  paymentId: string;
  status: InvestmentStatus;
  reason: string | null;
  createdAt: Date;
  updatedAt: Date;
  allocations: AllocationRow[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Only a UUID can name an investment or a strategy (anything else would be a PostgreSQL error, not a 404). */
export const isUuid = (s: string): boolean => UUID.test(s);

export async function findKnownStrategy(db: Queryable, id: string): Promise<KnownStrategy | undefined> {
  const { rows } = await db.query<KnownStrategy>('SELECT id::text, name, assets FROM known_strategies WHERE id = $1', [
    id,
  ]);
  return rows[0];
}

/** Keeps a strategy; a repeat (the event twice, or the event after a read) changes nothing. */
export async function saveKnownStrategy(db: Queryable, s: KnownStrategy): Promise<void> {
  await db.query(
    'INSERT INTO known_strategies (id, name, assets) VALUES ($1, $2, $3::jsonb) ON CONFLICT (id) DO NOTHING',
    [s.id, s.name, JSON.stringify(s.assets)],
  );
}

// Big numbers travel as text in the JSON of the allocations: JSON numbers are floats.
const n = (column: string) => `a.${column}::text`;
const SELECT = `SELECT i.id::text, i.seq::text, i.customer_id, i.strategy_id::text, i.account_id, i.amount_cents::text, i.payment_id, i.status, i.reason,
         i.created_at, i.updated_at,
         (SELECT json_agg(json_build_object('position', a.position, 'assetId', a.asset_id, 'hundredths', ${n('percentage_hundredths')}, 'share', ${n('share_cents')},
                   'quote', ${n('quote_price_cents')}, 'limit', ${n('limit_price_cents')}, 'quantity', ${n('quantity_micros')}, 'skipped', a.skipped_reason,
                   'orderId', a.order_id, 'orderStatus', a.order_status, 'fillPrice', ${n('fill_price_cents')}, 'fee', ${n('fee_cents')}) ORDER BY a.position)
            FROM investment_allocations a WHERE a.investment_id = i.id) AS allocations`;

type Raw = {
  id: string;
  seq: string;
  customer_id: string;
  strategy_id: string;
  account_id: string;
  amount_cents: string;
  payment_id: string;
  status: InvestmentStatus;
  reason: string | null;
  created_at: Date;
  updated_at: Date;
  allocations: Array<Record<string, string | number | null>> | null;
};

const big = (v: string | number | null | undefined) => (v === null || v === undefined ? null : BigInt(v));

function toRow(r: Raw): InvestmentRow {
  return {
    id: r.id,
    seq: r.seq,
    customerId: r.customer_id,
    strategyId: r.strategy_id,
    accountId: r.account_id,
    amount: BigInt(r.amount_cents),
    paymentId: r.payment_id,
    status: r.status,
    reason: r.reason,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    allocations: (r.allocations ?? []).map((a) => ({
      position: Number(a.position),
      assetId: String(a.assetId),
      hundredths: BigInt(a.hundredths!),
      share: BigInt(a.share!),
      quote: big(a.quote),
      limit: big(a.limit),
      quantity: big(a.quantity),
      skipped: (a.skipped as string | null) ?? null,
      orderId: (a.orderId as string | null) ?? null,
      orderStatus: (a.orderStatus as OrderStatus | null) ?? null,
      fillPrice: big(a.fillPrice),
      fee: big(a.fee),
    })),
  };
}

export interface NewInvestment {
  id: string;
  customerId: string;
  strategyId: string;
  accountId: string;
  amount: bigint;
  paymentId: string;
  at: Date;
  allocations: Array<{ assetId: string; hundredths: bigint; share: bigint }>;
}

export async function insertInvestment(db: Queryable, i: NewInvestment): Promise<void> {
  await db.query(
    `INSERT INTO investments (id, customer_id, strategy_id, account_id, amount_cents, payment_id, status, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, 'awaiting_payment', $7, $7)`,
    [i.id, i.customerId, i.strategyId, i.accountId, i.amount.toString(), i.paymentId, i.at],
  );
  await db.query(
    `INSERT INTO investment_allocations (investment_id, position, asset_id, percentage_hundredths, share_cents)
       SELECT $1, t.ord - 1, t.asset_id, t.hundredths, t.share FROM unnest($2::text[], $3::integer[], $4::bigint[]) WITH ORDINALITY AS t(asset_id, hundredths, share, ord)`,
    [
      i.id,
      i.allocations.map((a) => a.assetId),
      i.allocations.map((a) => a.hundredths.toString()),
      i.allocations.map((a) => a.share.toString()),
    ],
  );
}

/** The investment; with `lock`, locked for the rest of the transaction (news of its orders is applied one at a time). */
export async function getInvestment(
  db: Queryable,
  id: string,
  o: { lock?: boolean } = {},
): Promise<InvestmentRow | undefined> {
  if (!isUuid(id)) return undefined;
  const { rows } = await db.query<Raw>(
    `${SELECT} FROM investments i WHERE i.id = $1${o.lock ? ' FOR UPDATE OF i' : ''}`,
    [id],
  );
  return rows[0] ? toRow(rows[0]) : undefined;
}

/** Up to `limit` investments, newest first, of one customer when given, before `beforeSeq` (exclusive). */
export async function listInvestments(
  db: Queryable,
  q: { customerId?: string; beforeSeq?: bigint; limit: number },
): Promise<InvestmentRow[]> {
  const { rows } = await db.query<Raw>(
    `${SELECT} FROM investments i
      WHERE ($1::text IS NULL OR i.customer_id = $1) AND ($2::bigint IS NULL OR i.seq < $2::bigint)
      ORDER BY i.seq DESC LIMIT $3`,
    [q.customerId ?? null, q.beforeSeq?.toString() ?? null, q.limit],
  );
  return rows.map(toRow);
}

/** The investment a payment is for, if any (most payments are plain deposits). */
export async function investmentOfPayment(db: Queryable, paymentId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>('SELECT id::text FROM investments WHERE payment_id = $1', [
    paymentId,
  ]);
  return rows[0]?.id;
}

export async function setStatus(
  db: Queryable,
  id: string,
  status: InvestmentStatus,
  reason: string | null,
  at: Date,
): Promise<void> {
  await db.query('UPDATE investments SET status = $2, reason = $3, updated_at = $4 WHERE id = $1', [
    id,
    status,
    reason,
    at,
  ]);
}

/** Records the plan: each allocation's quote, limit and quantity, or why it has no order. */
export async function savePlan(db: Queryable, id: string, plan: readonly PlannedAllocation[], at: Date): Promise<void> {
  const order = (p: PlannedAllocation) => (p.kind === 'order' ? p : undefined);
  await db.query(
    `UPDATE investment_allocations a SET quote_price_cents = t.quote, limit_price_cents = t.lim, quantity_micros = t.quantity, skipped_reason = t.skipped
       FROM unnest($2::integer[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[]) AS t(position, quote, lim, quantity, skipped)
      WHERE a.investment_id = $1 AND a.position = t.position`,
    [
      id,
      plan.map((_, i) => i),
      plan.map((p) => p.quote?.toString() ?? null),
      plan.map((p) => order(p)?.limit.toString() ?? null),
      plan.map((p) => order(p)?.quantity.toString() ?? null),
      plan.map((p) => (p.kind === 'skip' ? p.reason : null)),
    ],
  );
  await db.query('UPDATE investments SET updated_at = $2 WHERE id = $1', [id, at]);
}

/** The outcome of placing an allocation's buy: the order as orders answered it, or the refusal. */
export type Placement =
  | { position: number; orderId: string; status: OrderStatus; fee: bigint }
  | { position: number; refused: string };

export async function savePlacements(
  db: Queryable,
  id: string,
  placements: readonly Placement[],
  at: Date,
): Promise<void> {
  const placed = placements.filter((p): p is Extract<Placement, { orderId: string }> => 'orderId' in p);
  const refused = placements.filter((p): p is Extract<Placement, { refused: string }> => 'refused' in p);
  await db.query(
    `UPDATE investment_allocations a SET order_id = t.order_id, order_status = t.status, fee_cents = t.fee
       FROM unnest($2::integer[], $3::text[], $4::text[], $5::bigint[]) AS t(position, order_id, status, fee)
      WHERE a.investment_id = $1 AND a.position = t.position`,
    [
      id,
      placed.map((p) => p.position),
      placed.map((p) => p.orderId),
      placed.map((p) => p.status),
      placed.map((p) => p.fee.toString()),
    ],
  );
  await db.query(
    `UPDATE investment_allocations a SET skipped_reason = t.reason
       FROM unnest($2::integer[], $3::text[]) AS t(position, reason)
      WHERE a.investment_id = $1 AND a.position = t.position`,
    [id, refused.map((p) => p.position), refused.map((p) => p.refused)],
  );
  await db.query('UPDATE investments SET updated_at = $2 WHERE id = $1', [id, at]);
}

/** An order's news as the investment keeps it: its status, and once filled its fill price and fee. */
export async function saveOrderNews(
  db: Queryable,
  id: string,
  orderId: string,
  news: { status: OrderStatus; fillPrice: bigint | null; fee: bigint },
  at: Date,
): Promise<void> {
  await db.query(
    `UPDATE investment_allocations SET order_status = $3, fill_price_cents = coalesce($4, fill_price_cents), fee_cents = $5
      WHERE investment_id = $1 AND order_id = $2`,
    [id, orderId, news.status, news.fillPrice?.toString() ?? null, news.fee.toString()],
  );
  await db.query('UPDATE investments SET updated_at = $2 WHERE id = $1', [id, at]);
}
