/**
 * The dead-letter store, the "message hospital" (seed 004 L695–701): messages that could not be
 * handled — unparseable, schema-invalid, or failing past the maximum attempts — kept with their
 * reason and attempts in the consuming service's database, to be listed, replayed or discarded.
 */
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../db/database.ts';

export interface DeadLetter {
  id: string;
  consumer: string;
  messageId: string | null;
  messageType: string | null;
  body: string;
  reason: string;
  attempts: number;
  firstFailedAt: string;
  lastFailedAt: string;
  status: 'dead' | 'replayed' | 'discarded';
}

type DeadLetterRow = {
  id: string;
  consumer: string;
  message_id: string | null;
  message_type: string | null;
  body: string;
  reason: string;
  attempts: number;
  first_failed_at: Date;
  last_failed_at: Date;
  status: DeadLetter['status'];
};

function fromRow(r: DeadLetterRow): DeadLetter {
  return {
    id: r.id,
    consumer: r.consumer,
    messageId: r.message_id,
    messageType: r.message_type,
    body: r.body,
    reason: r.reason,
    attempts: r.attempts,
    firstFailedAt: r.first_failed_at.toISOString(),
    lastFailedAt: r.last_failed_at.toISOString(),
    status: r.status,
  };
}

/** Stores a dead letter; the same message dead again for the same consumer updates the one row. */
export async function addDeadLetter(
  db: Queryable,
  letter: {
    consumer: string;
    messageId: string | null;
    messageType: string | null;
    body: string;
    reason: string;
    attempts: number;
  },
): Promise<void> {
  const reason = letter.reason.slice(0, 2000);
  if (letter.messageId) {
    const updated = await db.query(
      `UPDATE chassis_dead_letters SET reason = $3, attempts = attempts + $4, last_failed_at = now()
        WHERE consumer = $1 AND message_id = $2 AND status = 'dead'`,
      [letter.consumer, letter.messageId, reason, letter.attempts],
    );
    if (updated.rowCount === 1) return;
  }
  await db.query(
    `INSERT INTO chassis_dead_letters (id, consumer, message_id, message_type, body, reason, attempts)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (consumer, message_id) WHERE status = 'dead' AND message_id IS NOT NULL
     DO UPDATE SET reason = EXCLUDED.reason, attempts = chassis_dead_letters.attempts + EXCLUDED.attempts, last_failed_at = now()`,
    [randomUUID(), letter.consumer, letter.messageId, letter.messageType, letter.body, reason, letter.attempts],
  );
}

/** Dead letters still waiting for a decision, newest first; `cursor` is the last id of the page before. */
export async function listDeadLetters(
  db: Queryable,
  options: { limit?: number; cursor?: string } = {},
): Promise<{ items: DeadLetter[]; nextCursor: string | null }> {
  const limit = Math.min(Math.max(options.limit ?? 50, 1), 200);
  const params: unknown[] = [limit + 1];
  let after = '';
  if (options.cursor) {
    params.push(options.cursor);
    after = `AND (last_failed_at, id) < (SELECT last_failed_at, id FROM chassis_dead_letters WHERE id = $2::uuid)`;
  }
  const { rows } = await db.query<DeadLetterRow>(
    `SELECT * FROM chassis_dead_letters WHERE status = 'dead' ${after} ORDER BY last_failed_at DESC, id DESC LIMIT $1`,
    params,
  );
  const items = rows.slice(0, limit).map(fromRow);
  return { items, nextCursor: rows.length > limit ? (items[items.length - 1]?.id ?? null) : null };
}

export async function getDeadLetter(db: Queryable, id: string, lock = false): Promise<DeadLetter | undefined> {
  const { rows } = await db.query<DeadLetterRow>(
    `SELECT * FROM chassis_dead_letters WHERE id = $1::uuid ${lock ? 'FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] ? fromRow(rows[0]) : undefined;
}

export async function resolveDeadLetter(db: Queryable, id: string, status: 'replayed' | 'discarded'): Promise<boolean> {
  const r = await db.query(
    `UPDATE chassis_dead_letters SET status = $2, resolved_at = now() WHERE id = $1::uuid AND status = 'dead'`,
    [id, status],
  );
  return r.rowCount === 1;
}

export async function countDeadLetters(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM chassis_dead_letters WHERE status = 'dead'`,
  );
  return Number(rows[0]?.n ?? 0);
}
