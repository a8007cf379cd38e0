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

/** A row of the outbox, as the relay sends it. */
export type OutboxRow = {
  id: string;
  kind: 'event' | 'command';
  destination: string;
  aggregate_key: string | null;
  message_id: string;
  body: string;
  created_at: Date;
};

export async function appendToOutbox(db: Queryable, message: OutboxMessage): Promise<OutboxRow> {
  const body = JSON.stringify(message.envelope);
  const { rows } = await db.query<{ id: string; created_at: Date }>(
    'INSERT INTO chassis_outbox (message_id, kind, destination, aggregate_key, body) VALUES ($1, $2, $3, $4, $5) RETURNING id::text AS id, created_at',
    [message.envelope.id, message.kind, message.destination, message.envelope.key ?? null, body],
  );
  const row = rows[0]!;
  return {
    id: row.id,
    kind: message.kind,
    destination: message.destination,
    aggregate_key: message.envelope.key ?? null,
    message_id: message.envelope.id,
    body,
    created_at: row.created_at,
  };
}

/** Unpublished rows and the age of the oldest, for metrics and readiness. */
export async function outboxBacklog(db: Queryable): Promise<{ count: number; oldestAgeSeconds: number }> {
  const { rows } = await db.query<{ count: string; oldest: string | null }>(
    'SELECT count(*) AS count, extract(epoch FROM clock_timestamp() - min(created_at)) AS oldest FROM chassis_outbox WHERE published_at IS NULL',
  );
  return { count: Number(rows[0]?.count ?? 0), oldestAgeSeconds: Number(rows[0]?.oldest ?? 0) };
}
