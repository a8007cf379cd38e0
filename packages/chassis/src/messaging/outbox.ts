/**
 * The transactional outbox (seed 003 L154–164): a service's events and commands are rows written in
 * the same transaction as its state change; the relay sends them after commit.
 */
import type { Queryable } from '../db/database.ts';
import type { Envelope } from './envelope.ts';

export interface OutboxMessage {
  kind: 'event' | 'command';
  /** The event type, or the queue of the command. */
  destination: string;
  envelope: Envelope;
}

export async function appendToOutbox(db: Queryable, message: OutboxMessage): Promise<void> {
  await db.query('INSERT INTO chassis_outbox (message_id, kind, destination, aggregate_key, body) VALUES ($1, $2, $3, $4, $5)', [
    message.envelope.id,
    message.kind,
    message.destination,
    message.envelope.key ?? null,
    JSON.stringify(message.envelope),
  ]);
}

/** Unpublished rows and the age of the oldest, for metrics and readiness. */
export async function outboxBacklog(db: Queryable): Promise<{ count: number; oldestAgeSeconds: number }> {
  const { rows } = await db.query<{ count: string; oldest: string | null }>(
    'SELECT count(*) AS count, extract(epoch FROM clock_timestamp() - min(created_at)) AS oldest FROM chassis_outbox WHERE published_at IS NULL',
  );
  return { count: Number(rows[0]?.count ?? 0), oldestAgeSeconds: Number(rows[0]?.oldest ?? 0) };
}
