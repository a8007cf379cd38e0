/** market's SQL: the placement jobs. */
import type { Identity, Queryable } from '@simplebank/chassis';
import type { Cents, Micros } from '@simplebank/money';

/**
 * orphan_filled: filled on the exchange after the placement was given up; needs an operator.
 * mismatch: the exchange holds another order under our client order id (reconcile.ts); needs an operator.
 */
export type JobStatus = 'pending' | 'placed' | 'filled' | 'canceled' | 'failed' | 'orphan_filled' | 'mismatch';
/** Work left on a finished job: cancel a placement whose outcome is unknown (by client order id). */
export type Followup = 'cancel_unknown_placement';
export type CancelReason = 'canceled_by_customer' | 'expired';

export interface JobRow {
  order_id: string;
  asset_id: string | null;
  side: 'buy' | 'sell' | null;
  quantity_micros: string | null;
  limit_price_cents: string | null;
  place_by: Date | null;
  status: JobStatus;
  exchange_order_id: string | null;
  attempts: number;
  cancel_reason: CancelReason | null;
  cancel_attempts: number;
  correlation_id: string;
  causation_id: string | null;
  identity: Identity | null;
  traceparent: string | null;
  placement_unknown: boolean;
  followup: Followup | null;
  follow_polls: number;
}

type R = JobRow & Record<string, unknown>;
const COLUMNS =
  'order_id, asset_id, side, quantity_micros, limit_price_cents, place_by, status, exchange_order_id, attempts, cancel_reason, cancel_attempts, correlation_id, causation_id, identity, traceparent, placement_unknown, followup, follow_polls';

export interface Origin {
  correlationId: string;
  causationId?: string;
  identity?: Identity;
  traceparent?: string;
}

/** A new pending job; false when the order already has one (a repeated command changes nothing). */
export async function insertJob(
  tx: Queryable,
  job: { orderId: string; assetId: string; side: 'buy' | 'sell'; quantity: Micros; limit: Cents; placeBy: Date },
  origin: Origin,
): Promise<boolean> {
  const r = await tx.query(
    `INSERT INTO exchange_jobs (order_id, asset_id, side, quantity_micros, limit_price_cents, place_by, status, correlation_id, causation_id, identity, traceparent)
     VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9, $10) ON CONFLICT (order_id) DO NOTHING`,
    [
      job.orderId,
      job.assetId,
      job.side,
      job.quantity.toString(),
      job.limit.toString(),
      job.placeBy,
      origin.correlationId,
      origin.causationId ?? null,
      origin.identity ? JSON.stringify(origin.identity) : null,
      origin.traceparent ?? null,
    ],
  );
  return r.rowCount === 1;
}

/** A job for an order canceled before its placement command arrived: it will never be placed. */
export async function insertCanceledJob(
  tx: Queryable,
  orderId: string,
  reason: CancelReason,
  origin: Origin,
): Promise<void> {
  await tx.query(
    `INSERT INTO exchange_jobs (order_id, status, cancel_reason, correlation_id, causation_id, identity) VALUES ($1, 'canceled', $2, $3, $4, $5)`,
    [
      orderId,
      reason,
      origin.correlationId,
      origin.causationId ?? null,
      origin.identity ? JSON.stringify(origin.identity) : null,
    ],
  );
}

/** A job refused before any placement; false when the order already has a job. */
export async function insertFailedJob(
  tx: Queryable,
  orderId: string,
  reason: 'exchange_rejected',
  origin: Origin,
): Promise<boolean> {
  const r = await tx.query(
    `INSERT INTO exchange_jobs (order_id, status, failure_reason, correlation_id, causation_id, identity) VALUES ($1, 'failed', $2, $3, $4, $5) ON CONFLICT (order_id) DO NOTHING`,
    [
      orderId,
      reason,
      origin.correlationId,
      origin.causationId ?? null,
      origin.identity ? JSON.stringify(origin.identity) : null,
    ],
  );
  return r.rowCount === 1;
}

export async function lockJob(tx: Queryable, orderId: string): Promise<JobRow | undefined> {
  return (await tx.query<R>(`SELECT ${COLUMNS} FROM exchange_jobs WHERE order_id = $1 FOR UPDATE`, [orderId])).rows[0];
}

/** The job if it is due and nobody else works on it now (skips a locked one). */
export async function claimDueJob(tx: Queryable, orderId: string): Promise<JobRow | undefined> {
  return (
    await tx.query<R>(
      `SELECT ${COLUMNS} FROM exchange_jobs WHERE order_id = $1 AND (status IN ('pending', 'placed') OR followup IS NOT NULL) AND next_attempt_at <= clock_timestamp() FOR UPDATE SKIP LOCKED`,
      [orderId],
    )
  ).rows[0];
}

/** A job with work left, and in how many ms it is due (0: now), by the database's clock. */
export type QueuedJob = JobRow & { due_in_ms: number };

/**
 * The jobs with work left, soonest first (up to `limit`): the due ones, then the next to come due.
 * One query tells the worker both what to do now and how long it may sleep.
 */
export async function nextJobs(db: Queryable, limit: number): Promise<QueuedJob[]> {
  return (
    await db.query<R & { due_in_ms: number }>(
      `SELECT ${COLUMNS}, greatest(0, ceil(extract(epoch FROM next_attempt_at - clock_timestamp()) * 1000))::integer AS due_in_ms
       FROM exchange_jobs WHERE status IN ('pending', 'placed') OR followup IS NOT NULL ORDER BY next_attempt_at LIMIT $1`,
      [limit],
    )
  ).rows;
}

/** Makes a job with work left due now (the exchange called back); false when it has none. */
export async function makeDue(db: Queryable, orderId: string): Promise<boolean> {
  const r = await db.query(
    `UPDATE exchange_jobs SET next_attempt_at = clock_timestamp() WHERE order_id = $1 AND (status IN ('pending', 'placed') OR followup IS NOT NULL)`,
    [orderId],
  );
  return r.rowCount === 1;
}

export async function getJob(db: Queryable, orderId: string): Promise<JobRow | undefined> {
  return (await db.query<R>(`SELECT ${COLUMNS} FROM exchange_jobs WHERE order_id = $1`, [orderId])).rows[0];
}

export async function updateJob(
  tx: Queryable,
  orderId: string,
  patch: Partial<{
    status: JobStatus;
    exchangeOrderId: string;
    attempts: number;
    cancelReason: CancelReason;
    cancelAttempts: number;
    nextAttemptAt: Date;
    failureReason: string;
    fillPriceCents: Cents;
    filledAt: Date;
    lastError: string | null;
    placementUnknown: boolean;
    followup: Followup | null;
    followPolls: number;
  }>,
): Promise<void> {
  const columns: Record<string, unknown> = {
    status: patch.status,
    exchange_order_id: patch.exchangeOrderId,
    attempts: patch.attempts,
    cancel_reason: patch.cancelReason,
    cancel_attempts: patch.cancelAttempts,
    next_attempt_at: patch.nextAttemptAt,
    failure_reason: patch.failureReason,
    fill_price_cents: patch.fillPriceCents?.toString(),
    filled_at: patch.filledAt,
    last_error: patch.lastError,
    placement_unknown: patch.placementUnknown,
    followup: patch.followup,
    follow_polls: patch.followPolls,
  };
  const set = Object.entries(columns).filter(([, v]) => v !== undefined);
  const assignments = set.map(([k], i) => `${k} = $${i + 2}`);
  await tx.query(
    `UPDATE exchange_jobs SET ${[...assignments, 'updated_at = clock_timestamp()'].join(', ')} WHERE order_id = $1`,
    [orderId, ...set.map(([, v]) => v)],
  );
}
