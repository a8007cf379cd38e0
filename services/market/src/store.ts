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
  /** Turns claimed so far; a turn records its outcome only while it is the last one claimed. */
  turn: number;
  /** A turn was claimed and has not recorded its outcome (yet, or ever: a crash). */
  in_turn: boolean;
}

type R = JobRow & Record<string, unknown>;
const COLUMNS =
  'order_id, asset_id, side, quantity_micros, limit_price_cents, place_by, status, exchange_order_id, attempts, cancel_reason, cancel_attempts, correlation_id, causation_id, identity, traceparent, placement_unknown, followup, follow_polls, turn, in_turn';

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

/** Work left: the jobs a worker takes turns of. */
const HAS_WORK = "(status IN ('pending', 'placed') OR followup IS NOT NULL)";

/**
 * Claims up to `limit` due jobs for a turn each, in one statement: the turn counter moves on, the
 * job is not due again for `claimMs` (a crashed turn's job is taken again after that), and a
 * placement whose last turn never recorded its outcome is marked unknown (it may have reached the
 * exchange). Also answers when the next unclaimed job is due (ms, 0: now; undefined: none), so the
 * worker knows how long it may sleep.
 */
export async function claimDue(
  db: Queryable,
  limit: number,
  claimMs: number,
): Promise<{ claimed: JobRow[]; nextDueInMs: number | undefined }> {
  const { rows } = await db.query<R & { next_ms: string | null }>(
    `WITH due AS (
       SELECT order_id FROM exchange_jobs WHERE ${HAS_WORK} AND next_attempt_at <= clock_timestamp()
        ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED),
     claimed AS (
       UPDATE exchange_jobs j SET turn = j.turn + 1, in_turn = true,
              next_attempt_at = clock_timestamp() + $2::double precision * interval '1 millisecond',
              placement_unknown = j.placement_unknown OR (j.in_turn AND j.status = 'pending')
         FROM due WHERE j.order_id = due.order_id
       RETURNING ${COLUMNS.split(', ')
         .map((c) => `j.${c}`)
         .join(', ')}),
     later AS (
       SELECT min(next_attempt_at) AS due FROM exchange_jobs
        WHERE ${HAS_WORK} AND order_id NOT IN (SELECT order_id FROM claimed))
     SELECT CASE WHEN later.due IS NULL THEN NULL
                 ELSE greatest(0, ceil(extract(epoch FROM later.due - clock_timestamp()) * 1000))::bigint::text END AS next_ms,
            claimed.*
       FROM later LEFT JOIN claimed ON true`,
    [limit, claimMs],
  );
  const next = rows[0]?.next_ms;
  const claimed = rows.filter((r) => r.order_id !== null).map(({ next_ms: _, ...job }) => job as JobRow);
  return { claimed, nextDueInMs: next === null || next === undefined ? undefined : Number(next) };
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

export type JobPatch = Partial<{
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
}>;

/** `column = $n` for each field the patch sets, its parameters numbered from `first`. */
function assignments(patch: JobPatch, first: number): { sets: string[]; values: unknown[] } {
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
  return { sets: set.map(([k], i) => `${k} = $${i + first}`), values: set.map(([, v]) => v) };
}

export async function updateJob(tx: Queryable, orderId: string, patch: JobPatch): Promise<void> {
  const { sets, values } = assignments(patch, 2);
  await tx.query(
    `UPDATE exchange_jobs SET ${[...sets, 'updated_at = clock_timestamp()'].join(', ')} WHERE order_id = $1`,
    [orderId, ...values],
  );
}

/**
 * Records the outcome of turn `turn` of the job, if it is still the last turn claimed (false
 * otherwise: another turn took the job over, and this outcome is dropped). Due again when the patch
 * says, or now; and now in any case when a cancel arrived during the turn (the cancel reason is no
 * longer the one the turn saw), so that the next turn acts on it.
 */
export async function recordTurn(
  tx: Queryable,
  job: Pick<JobRow, 'order_id' | 'turn' | 'cancel_reason'>,
  patch: JobPatch,
): Promise<boolean> {
  const { nextAttemptAt, ...rest } = patch;
  const { sets, values } = assignments(rest, 5);
  const r = await tx.query(
    `UPDATE exchange_jobs SET ${[
      ...sets,
      'in_turn = false',
      'next_attempt_at = CASE WHEN cancel_reason IS DISTINCT FROM $3 THEN clock_timestamp() ELSE coalesce($4::timestamptz, clock_timestamp()) END',
      'updated_at = clock_timestamp()',
    ].join(', ')} WHERE order_id = $1 AND turn = $2`,
    [job.order_id, job.turn, job.cancel_reason, nextAttemptAt ?? null, ...values],
  );
  return r.rowCount === 1;
}
