/** fees' SQL. */
import type { Queryable } from '@simplebank/chassis';

export type ScheduleRow = {
  version: number;
  minimum_cents: string;
  rate: string;
  effective_from: Date;
};

export type FeeRow = {
  id: string;
  order_id: string;
  account_id: string;
  amount_cents: string;
  charged_at: Date;
  refunded_at: Date | null;
};

/**
 * The schedule in force as last read by this process, per database: every quote needs it (a
 * statement, and a commit, each). A schedule is effective from its insertion (setSchedule forgets
 * this entry once it committed); another instance's change is seen after SCHEDULE_FRESH_MS.
 */
const scheduleSeen = new WeakMap<Queryable, { row: ScheduleRow; at: number }>();
/** New schedules by this process, per database: a read that one overtook must not be kept as current. */
const scheduleChanges = new WeakMap<Queryable, number>();
const SCHEDULE_FRESH_MS = 1000;

/** The schedule in force now: the latest version already effective. */
export async function currentSchedule(db: Queryable): Promise<ScheduleRow> {
  const seen = scheduleSeen.get(db);
  if (seen && Date.now() - seen.at < SCHEDULE_FRESH_MS) return seen.row;
  const changes = scheduleChanges.get(db) ?? 0;
  const { rows } = await db.query<ScheduleRow>(
    'SELECT version, minimum_cents::text, rate, effective_from FROM fee_schedules WHERE effective_from <= clock_timestamp() ORDER BY version DESC LIMIT 1',
  );
  if ((scheduleChanges.get(db) ?? 0) === changes) scheduleSeen.set(db, { row: rows[0]!, at: Date.now() });
  return rows[0]!;
}

/** After a new schedule committed: the next quote reads it. */
export function forgetSchedule(db: Queryable): void {
  scheduleChanges.set(db, (scheduleChanges.get(db) ?? 0) + 1);
  scheduleSeen.delete(db);
}

/** A new version, effective now (versions are serialized by a table lock). */
export async function insertSchedule(db: Queryable, minimumCents: bigint, rate: string): Promise<ScheduleRow> {
  await db.query('LOCK TABLE fee_schedules IN SHARE ROW EXCLUSIVE MODE');
  const { rows } = await db.query<ScheduleRow>(
    `INSERT INTO fee_schedules (version, minimum_cents, rate, effective_from)
       SELECT coalesce(max(version), 0) + 1, $1, $2, clock_timestamp() FROM fee_schedules
     RETURNING version, minimum_cents::text, rate, effective_from`,
    [minimumCents.toString(), rate],
  );
  return rows[0]!;
}

/** Inserts the order's fee unless it has one; either way answers the order's fee (locked). */
export async function insertFee(
  db: Queryable,
  fee: { id: string; orderId: string; accountId: string; amountCents: bigint },
): Promise<{ row: FeeRow; inserted: boolean }> {
  const inserted = await db.query<FeeRow>(
    `INSERT INTO fees (id, order_id, account_id, amount_cents, charged_at) VALUES ($1, $2, $3, $4, clock_timestamp())
       ON CONFLICT (order_id) DO NOTHING
     RETURNING id, order_id, account_id, amount_cents::text, charged_at, refunded_at`,
    [fee.id, fee.orderId, fee.accountId, fee.amountCents.toString()],
  );
  if (inserted.rows[0]) return { row: inserted.rows[0], inserted: true };
  const existing = await feeOfOrder(db, fee.orderId, { lock: true });
  return { row: existing!, inserted: false };
}

export async function feeOfOrder(
  db: Queryable,
  orderId: string,
  o: { lock?: boolean } = {},
): Promise<FeeRow | undefined> {
  const { rows } = await db.query<FeeRow>(
    `SELECT id, order_id, account_id, amount_cents::text, charged_at, refunded_at FROM fees WHERE order_id = $1${o.lock ? ' FOR UPDATE' : ''}`,
    [orderId],
  );
  return rows[0];
}

/** Marks the fee refunded; undefined when it already was. */
export async function markRefunded(db: Queryable, id: string): Promise<Date | undefined> {
  const { rows } = await db.query<{ refunded_at: Date }>(
    'UPDATE fees SET refunded_at = clock_timestamp() WHERE id = $1 AND refunded_at IS NULL RETURNING refunded_at',
    [id],
  );
  return rows[0]?.refunded_at;
}
