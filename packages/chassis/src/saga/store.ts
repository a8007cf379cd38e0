/**
 * The SQL of the saga runner (tables in migrations/002_sagas.sql). Times are computed by the
 * database (`clock_timestamp()`), never by the runner's clock, so runners on hosts whose clocks
 * disagree still agree on leases, back-off and timeouts.
 */
import type { Queryable } from '../db/database.ts';
import type { Causation } from '../messaging/envelope.ts';
import { parseTraceparent } from '../observability/trace-context.ts';
import type { SagaInspection, SagaStatus } from './types.ts';

export interface Failure {
  code: string;
  message: string;
}

export const LIVE: readonly SagaStatus[] = ['running', 'waiting', 'compensating'];

/** A `type`, not an interface: pg's row type needs an index signature. */
export type SagaRow = {
  id: string;
  type: string;
  status: SagaStatus;
  data: Record<string, unknown>;
  step_index: number;
  current_step: string | null;
  attempt: number;
  wait_signals: string[] | null;
  past_pivot: boolean;
  interrupt: Failure | null;
  failure: Failure | null;
  cause: Causation;
  lease_token: string | null;
  /** Milliseconds from now (negative: past; null: not set), as the database sees it. */
  next_run_in_ms: number;
  wait_in_ms: number | null;
  deadline_in_ms: number | null;
  age_ms: number;
  /** Waiting: the oldest pending signal among those it waits for (consumed only with the outcome it leads to). */
  signal: { id: string; name: string; payload: unknown } | null;
};

const ms = (col: string) => `(extract(epoch FROM ${col} - clock_timestamp()) * 1000)::float8`;
/** `clock_timestamp()` plus the milliseconds in parameter `p` (NULL stays NULL). */
const later = (p: string) => `clock_timestamp() + ${p}::float8 * interval '1 millisecond'`;

/**
 * The columns of a SagaRow, read from `chassis_sagas` under alias `s` (in a SELECT or an UPDATE's
 * RETURNING). `newSignal`: a signal inserted by the same statement (invisible to its subqueries),
 * the one to wake with when no older one is pending.
 */
const rowColumns = (
  newSignal = 'NULL',
) => `s.id, s.type, s.status, s.data, s.step_index, s.current_step, s.attempt, s.wait_signals, s.past_pivot, s.interrupt,
  s.failure, s.cause, s.lease_token, ${ms('s.next_run_at')} AS next_run_in_ms, ${ms('s.wait_until')} AS wait_in_ms,
  ${ms('s.deadline_at')} AS deadline_in_ms, (extract(epoch FROM clock_timestamp() - s.created_at) * 1000)::float8 AS age_ms,
  CASE WHEN s.status = 'waiting' THEN coalesce(
    (SELECT json_build_object('id', g.id::text, 'name', g.name, 'payload', g.payload) FROM chassis_saga_signals g
      WHERE g.saga_id = s.id AND g.consumed_at IS NULL AND g.name = ANY(s.wait_signals) ORDER BY g.id LIMIT 1),
    ${newSignal})
  END AS signal`;
const ROW = rowColumns();

/** A saga to insert: its first step is due now. */
export interface NewSaga {
  id: string;
  type: string;
  data: unknown;
  firstStep: string | null;
  deadlineInMs: number | null;
  cause: Causation;
}

const newSagaParams = (s: NewSaga) => [
  s.id,
  s.type,
  JSON.stringify(s.data ?? {}),
  s.firstStep,
  s.deadlineInMs,
  JSON.stringify(s.cause),
];

/** Inserts the saga and wakes runners at commit, in one statement; false when the id exists already. */
export async function insertSaga(db: Queryable, s: NewSaga): Promise<boolean> {
  const { rowCount } = await db.query(
    `WITH inserted AS (
       INSERT INTO chassis_sagas (id, type, status, data, step_index, current_step, deadline_at, cause)
       VALUES ($1, $2, 'running', $3::jsonb, 0, $4, ${later('$5')}, $6::jsonb)
       ON CONFLICT (id) DO NOTHING RETURNING id)
     SELECT pg_notify('chassis_sagas', id) FROM inserted`,
    newSagaParams(s),
  );
  return rowCount === 1;
}

/**
 * Inserts the saga already leased (a fresh token, `leaseMs` from now) for the runner that begins it,
 * and wakes nobody: that runner advances it once the transaction commits. Should it never do so
 * (a crash right after the commit), the lease expires and any runner takes the saga, as after a
 * crash in the middle of a step. The saga as its lease holder sees it; undefined when the id exists.
 */
export async function insertLeasedSaga(db: Queryable, s: NewSaga, leaseMs: number): Promise<SagaRow | undefined> {
  const { rows } = await db.query<SagaRow>(
    `INSERT INTO chassis_sagas AS s (id, type, status, data, step_index, current_step, deadline_at, cause, locked_until, lease_token)
     VALUES ($1, $2, 'running', $3::jsonb, 0, $4, ${later('$5')}, $6::jsonb, ${later('$7')}, gen_random_uuid()::text)
     ON CONFLICT (id) DO NOTHING RETURNING ${ROW}`,
    [...newSagaParams(s), leaseMs],
  );
  return rows[0];
}

export async function sagaType(db: Queryable, id: string): Promise<{ type: string; status: SagaStatus } | undefined> {
  const { rows } = await db.query<{ type: string; status: SagaStatus }>(
    'SELECT type, status FROM chassis_sagas WHERE id = $1',
    [id],
  );
  return rows[0];
}

/** Wakes runners (delivered at commit of the caller's transaction). */
export async function notify(db: Queryable, id: string): Promise<void> {
  await db.query("SELECT pg_notify('chassis_sagas', $1)", [id]);
}

/**
 * Takes up to `limit` runnable sagas: live, due, not leased by anyone, and, when waiting, with
 * something to wake them. Each gets a fresh lease token: every later write checks it, so a runner
 * whose lease was taken over stops instead of writing over the new owner.
 * FOR NO KEY UPDATE (not FOR UPDATE) so that inserting a signal (whose foreign key takes a KEY SHARE
 * lock on the saga) never waits for a running step.
 */
export async function claim(
  db: Queryable,
  o: { types: string[]; exclude: string[]; limit: number; leaseMs: number },
): Promise<SagaRow[]> {
  const { rows } = await db.query<SagaRow>(
    `WITH ready AS (
       SELECT s.id FROM chassis_sagas s
        WHERE s.status IN ('running', 'waiting', 'compensating')
          AND s.next_run_at <= clock_timestamp()
          AND (s.locked_until IS NULL OR s.locked_until <= clock_timestamp())
          AND s.type = ANY($1::text[])
          AND NOT (s.id = ANY($2::text[]))
          AND (s.status <> 'waiting'
               OR (s.interrupt IS NOT NULL AND NOT s.past_pivot)
               OR s.wait_until <= clock_timestamp()
               OR s.deadline_at <= clock_timestamp()
               OR EXISTS (SELECT 1 FROM chassis_saga_signals g
                           WHERE g.saga_id = s.id AND g.consumed_at IS NULL AND g.name = ANY(s.wait_signals)))
        ORDER BY s.next_run_at
        LIMIT $3
        FOR NO KEY UPDATE SKIP LOCKED)
     UPDATE chassis_sagas s SET locked_until = ${later('$4')}, lease_token = gen_random_uuid()::text
       FROM ready WHERE s.id = ready.id
     RETURNING ${ROW}`,
    [o.types, o.exclude, o.limit, o.leaseMs],
  );
  return rows;
}

/** The runner's lease on the saga was taken over (it outlived its lease): stop, change nothing. */
export class LeaseLost extends Error {}

/** The saga as its lease holder sees it (undefined when `token` no longer holds the lease). */
export async function readLeased(db: Queryable, id: string, token: string): Promise<SagaRow | undefined> {
  const { rows } = await db.query<SagaRow>(
    `SELECT ${ROW} FROM chassis_sagas s WHERE s.id = $1 AND s.lease_token = $2`,
    [id, token],
  );
  return rows[0];
}

/** Extends the lease of a long invocation; false when it was lost meanwhile. */
export async function renewLease(db: Queryable, id: string, token: string, leaseMs: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE chassis_sagas SET locked_until = ${later('$3')} WHERE id = $1 AND lease_token = $2`,
    [id, token, leaseMs],
  );
  return rowCount === 1;
}

/** A change of a saga's state; fields left undefined keep their value. `...InMs` are from now. */
export interface StatePatch {
  status?: SagaStatus;
  data?: unknown;
  stepIndex?: number;
  currentStep?: string | null;
  attempt?: number;
  waitSignals?: readonly string[] | null;
  waitInMs?: number | null;
  deadlineInMs?: number | null;
  pastPivot?: boolean;
  interrupt?: null;
  failure?: Failure | null;
  nextRunInMs?: number;
  /**
   * Keep the lease (renewed for `renewMs` from now) or hand the saga back. `releaseWhenIdle` (with a
   * wait: `waitSignals` and `waitInMs` set): hand it back when nothing wakes it now (no pending
   * signal it waits for, no interrupt before the pivot, neither the wait nor the deadline due), in
   * the same statement; the saga as returned then has no lease token.
   */
  lease: { renewMs: number; releaseWhenIdle?: boolean } | 'release';
  /** The log entry of the decision this change records: written by the same statement (one round trip). */
  log?: LogEntry;
}

export interface LogEntry {
  step: string;
  phase: 'action' | 'compensation';
  outcome: string;
  attempt: number;
  detail?: string;
}

/**
 * Applies the patch if `saga.token` still holds the lease, and returns the saga as it now is (the
 * next turn starts from it without reading again). Throws LeaseLost otherwise: the caller's
 * transaction, with whatever the step wrote in it, must roll back.
 */
export async function updateSaga(db: Queryable, saga: { id: string; token: string }, p: StatePatch): Promise<SagaRow> {
  const sets = ['updated_at = clock_timestamp()'];
  const params: unknown[] = [saga.id, saga.token];
  const set = (col: string, value: unknown, expr: (param: string) => string = (x) => x) => {
    params.push(value);
    sets.push(`${col} = ${expr(`$${params.length}`)}`);
  };
  const json = (x: string) => `${x}::jsonb`;
  if (p.status !== undefined) set('status', p.status);
  if (p.data !== undefined) set('data', JSON.stringify(p.data), json);
  if (p.stepIndex !== undefined) set('step_index', p.stepIndex);
  if (p.currentStep !== undefined) set('current_step', p.currentStep);
  if (p.attempt !== undefined) set('attempt', p.attempt);
  if (p.waitSignals !== undefined) set('wait_signals', p.waitSignals, (x) => `${x}::text[]`);
  if (p.waitInMs !== undefined) set('wait_until', p.waitInMs, later);
  if (p.deadlineInMs !== undefined) set('deadline_at', p.deadlineInMs, later);
  if (p.pastPivot !== undefined) set('past_pivot', p.pastPivot);
  if (p.interrupt !== undefined) sets.push('interrupt = NULL');
  if (p.failure !== undefined) set('failure', p.failure === null ? null : JSON.stringify(p.failure), json);
  if (p.nextRunInMs !== undefined) set('next_run_at', p.nextRunInMs, later);
  if (p.lease === 'release') sets.push('locked_until = NULL', 'lease_token = NULL');
  else if (p.lease.releaseWhenIdle) {
    params.push(p.waitSignals ?? [], p.waitInMs ?? null, p.lease.renewMs);
    const signals = `$${params.length - 2}`;
    const waitMs = `$${params.length - 1}`;
    const renewMs = `$${params.length}`;
    const idle = `(NOT EXISTS (SELECT 1 FROM chassis_saga_signals g
                     WHERE g.saga_id = s.id AND g.consumed_at IS NULL AND g.name = ANY(${signals}::text[]))
               AND NOT (s.interrupt IS NOT NULL AND NOT s.past_pivot)
               AND (${waitMs}::float8 IS NULL OR ${waitMs}::float8 > 0)
               AND (s.past_pivot OR s.deadline_at IS NULL OR s.deadline_at > clock_timestamp()))`;
    sets.push(
      `locked_until = CASE WHEN ${idle} THEN NULL ELSE ${later(renewMs)} END`,
      `lease_token = CASE WHEN ${idle} THEN NULL ELSE s.lease_token END`,
    );
  } else set('locked_until', p.lease.renewMs, later);
  let logged = '';
  if (p.log) {
    const first = params.length + 1;
    params.push(p.log.step, p.log.phase, p.log.outcome, p.log.attempt, p.log.detail ?? null);
    logged = `WITH logged AS (INSERT INTO chassis_saga_log (saga_id, step, phase, outcome, attempt, detail) VALUES ($1, ${[0, 1, 2, 3, 4].map((i) => `$${first + i}`).join(', ')})) `;
  }
  const { rows } = await db.query<SagaRow>(
    `${logged}UPDATE chassis_sagas s SET ${sets.join(', ')} WHERE s.id = $1 AND s.lease_token = $2 RETURNING ${ROW}`,
    params,
  );
  if (!rows[0]) throw new LeaseLost(`Saga ${saga.id}: lease lost`);
  return rows[0];
}

/** Hands a saga back (on stop) if this runner still holds it. */
export async function releaseLease(db: Queryable, id: string, token: string): Promise<void> {
  await db.query(
    'UPDATE chassis_sagas SET locked_until = NULL, lease_token = NULL WHERE id = $1 AND lease_token = $2',
    [id, token],
  );
}

/**
 * Keeps a signal for a live saga (a repeat with the same dedup key is ignored) and wakes runners at
 * commit, in one statement. False when there is no such saga; a finished one takes no signal.
 */
export async function insertSignal(
  db: Queryable,
  s: { sagaType: string; sagaId: string; name: string; payload: unknown; dedupKey?: string },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `WITH target AS (SELECT id, status = ANY($5::text[]) AS live FROM chassis_sagas WHERE id = $1 AND type = $6),
          kept AS (INSERT INTO chassis_saga_signals (saga_id, name, payload, dedup_key)
                   SELECT id, $2, $3::jsonb, $4 FROM target WHERE live ON CONFLICT DO NOTHING)
     SELECT CASE WHEN live THEN pg_notify('chassis_sagas', id) END FROM target`,
    [s.sagaId, s.name, JSON.stringify(s.payload ?? null), s.dedupKey ?? null, LIVE, s.sagaType],
  );
  return rowCount === 1;
}

/**
 * Keeps a signal, as insertSignal, and in the same statement takes the saga under a fresh lease
 * when the signal can be acted on at once by one of `localSteps` (`type/step`): the saga waits for
 * it in such a step, is due, not leased, not interrupted and not past its deadline, and its row is
 * not locked by someone else. Runners are woken at commit only when it was not taken (they would
 * find nothing to do otherwise). `saga`: the saga as its new lease holder sees it, the new signal
 * included.
 */
export async function signalAndTake(
  db: Queryable,
  s: {
    sagaType: string;
    sagaId: string;
    name: string;
    payload: unknown;
    dedupKey?: string;
    localSteps: readonly string[];
    leaseMs: number;
  },
): Promise<{ found: boolean; saga: SagaRow | undefined }> {
  const { rows } = await db.query<{ saga: SagaRow | null }>(
    `WITH target AS (SELECT id, status = ANY($5::text[]) AS live FROM chassis_sagas WHERE id = $1 AND type = $8),
          kept AS (INSERT INTO chassis_saga_signals (saga_id, name, payload, dedup_key)
                   SELECT id, $2, $3::jsonb, $4 FROM target WHERE live ON CONFLICT DO NOTHING RETURNING id, name, payload),
          ready AS (SELECT s.id FROM chassis_sagas s
                     WHERE s.id = $1 AND s.status = 'waiting'
                       AND EXISTS (SELECT 1 FROM kept WHERE kept.name = ANY(s.wait_signals))
                       AND (s.type || '/' || s.current_step) = ANY($6::text[])
                       AND s.next_run_at <= clock_timestamp()
                       AND (s.locked_until IS NULL OR s.locked_until <= clock_timestamp())
                       AND NOT (s.interrupt IS NOT NULL AND NOT s.past_pivot)
                       AND (s.past_pivot OR s.deadline_at IS NULL OR s.deadline_at > clock_timestamp())
                     FOR NO KEY UPDATE SKIP LOCKED),
          taken AS (UPDATE chassis_sagas s SET locked_until = ${later('$7')}, lease_token = gen_random_uuid()::text
                      FROM ready WHERE s.id = ready.id
                    RETURNING ${rowColumns("(SELECT json_build_object('id', k.id::text, 'name', k.name, 'payload', k.payload) FROM kept k)")})
     SELECT (SELECT row_to_json(taken) FROM taken) AS saga,
            CASE WHEN t.live AND NOT EXISTS (SELECT 1 FROM taken) THEN pg_notify('chassis_sagas', t.id) END AS woke
       FROM target t`,
    [
      s.sagaId,
      s.name,
      JSON.stringify(s.payload ?? null),
      s.dedupKey ?? null,
      LIVE,
      s.localSteps,
      s.leaseMs,
      s.sagaType,
    ],
  );
  return { found: rows.length === 1, saga: rows[0]?.saga ?? undefined };
}

/** Hands a saga back and wakes runners at commit, in one statement (a runner takes it from here). */
export async function handBack(db: Queryable, id: string, token: string): Promise<void> {
  await db.query(
    `WITH released AS (UPDATE chassis_sagas SET locked_until = NULL, lease_token = NULL WHERE id = $1 AND lease_token = $2 RETURNING id)
     SELECT pg_notify('chassis_sagas', id) FROM released`,
    [id, token],
  );
}

/** Marks signal `id` consumed; it stays consumed only if the transaction commits. False if it was consumed already. */
export async function consumeSignal(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query(
    'UPDATE chassis_saga_signals SET consumed_at = clock_timestamp() WHERE id = $1 AND consumed_at IS NULL',
    [id],
  );
  return rowCount === 1;
}

/** Records a cancellation request unless the saga is past its pivot or no longer live. */
export async function requestInterrupt(
  db: Queryable,
  id: string,
  reason: Failure,
): Promise<'requested' | 'compensating' | 'refused'> {
  const { rowCount } = await db.query(
    `UPDATE chassis_sagas SET interrupt = coalesce(interrupt, $2::jsonb), next_run_at = least(next_run_at, clock_timestamp()), updated_at = clock_timestamp()
      WHERE id = $1 AND NOT past_pivot AND status IN ('running', 'waiting')`,
    [id, JSON.stringify(reason)],
  );
  if (rowCount === 1) return 'requested';
  return (await sagaType(db, id))?.status === 'compensating' ? 'compensating' : 'refused';
}

/** The columns a saga's summary is made of (summaryOf). */
type SummaryRow = {
  id: string;
  type: string;
  status: SagaStatus;
  data: unknown;
  current_step: string | null;
  failure: Failure | null;
  created_at: Date;
  updated_at: Date;
  traceparent: string | null;
};

export async function inspectSaga(db: Queryable, id: string): Promise<SagaInspection | undefined> {
  const { rows } = await db.query<SummaryRow>(
    "SELECT id, type, status, data, current_step, failure, created_at, updated_at, cause->>'traceparent' AS traceparent FROM chassis_sagas WHERE id = $1",
    [id],
  );
  const s = rows[0];
  if (!s) return undefined;
  const log = await db.query<{
    step: string;
    phase: 'action' | 'compensation';
    outcome: string;
    attempt: number;
    at: Date;
    detail: string | null;
  }>('SELECT step, phase, outcome, attempt, at, detail FROM chassis_saga_log WHERE saga_id = $1 ORDER BY id', [id]);
  return {
    ...summaryOf(s),
    log: log.rows.map((e) => ({
      step: e.step,
      phase: e.phase,
      outcome: e.outcome,
      attempt: e.attempt,
      at: e.at.toISOString(),
      ...(e.detail !== null ? { detail: e.detail } : {}),
    })),
  };
}

/** A saga in a list: what it is and where it stands, without its log. */
export type SagaSummary = Omit<SagaInspection, 'log'>;

/** Where a page of sagas ended: the last one's creation time (to the microsecond, as text) and id. */
export interface SagaPosition {
  createdAt: string;
  id: string;
}

/** Sagas newest first (by creation, then id), of one status when given, after position `after`. */
export async function listSagas(
  db: Queryable,
  q: { status?: SagaStatus; limit: number; after?: SagaPosition },
): Promise<Array<{ saga: SagaSummary; position: SagaPosition }>> {
  const { rows } = await db.query<SummaryRow & { position: string }>(
    `SELECT id, type, status, data, current_step, failure, created_at, updated_at, cause->>'traceparent' AS traceparent, created_at::text AS position FROM chassis_sagas
      WHERE ($1::text IS NULL OR status = $1) AND ($2::timestamptz IS NULL OR (chassis_sagas.created_at, chassis_sagas.id) < ($2::timestamptz, $3::text))
      ORDER BY chassis_sagas.created_at DESC, chassis_sagas.id DESC LIMIT $4`,
    [q.status ?? null, q.after?.createdAt ?? null, q.after?.id ?? null, q.limit],
  );
  return rows.map((r) => ({ saga: summaryOf(r), position: { createdAt: r.position, id: r.id } }));
}

function summaryOf(s: SummaryRow): SagaSummary {
  return {
    id: s.id,
    type: s.type,
    status: s.status,
    data: s.data,
    currentStep: LIVE.includes(s.status) || s.status === 'failed' ? s.current_step : null,
    failure: s.failure,
    createdAt: s.created_at.toISOString(),
    updatedAt: s.updated_at.toISOString(),
    traceId: parseTraceparent(s.traceparent ?? undefined)?.traceId ?? null,
  };
}

/**
 * Counts by type and status. The age is that of the oldest saga in the group, for live statuses
 * only: a live saga that keeps getting older is stuck; finished ones just accumulate.
 */
export async function sagaStats(
  db: Queryable,
): Promise<Array<{ type: string; status: SagaStatus; count: number; oldestAgeSeconds: number }>> {
  const { rows } = await db.query<{ type: string; status: SagaStatus; count: number; oldest: number }>(
    `SELECT type, status, count(*)::int AS count,
            CASE WHEN status IN ('running', 'waiting', 'compensating')
                 THEN extract(epoch FROM clock_timestamp() - min(created_at))::float8 ELSE 0 END AS oldest
       FROM chassis_sagas GROUP BY type, status ORDER BY type, status`,
  );
  return rows.map((r) => ({ type: r.type, status: r.status, count: r.count, oldestAgeSeconds: r.oldest }));
}
