/**
 * The inbox of the idempotent consumer (seed 003 L127–152): the id of a handled message is recorded
 * in the handler's own transaction, so a redelivered message finds it and changes nothing.
 */
import type { Queryable } from '../db/database.ts';

/**
 * Records that `consumer` handles `messageId` in the current transaction. False when it already
 * had (a duplicate). A concurrent duplicate waits on the key until the first commits or rolls back.
 */
export async function recordInInbox(
  tx: Queryable,
  consumer: string,
  messageId: string,
  messageType: string,
): Promise<boolean> {
  const result = await tx.query(
    'INSERT INTO chassis_inbox (consumer, message_id, message_type) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
    [consumer, messageId, messageType],
  );
  return result.rowCount === 1;
}

/**
 * Records a batch of messages for `consumer` in one statement (group commit): for each message in
 * order, true when this call recorded it — false for one handled before, and for a repeat of an
 * earlier message of the same batch. Keys are taken in id order, so two transactions recording
 * overlapping batches wait on each other instead of deadlocking.
 */
export async function recordAllInInbox(
  tx: Queryable,
  consumer: string,
  messages: Array<{ id: string; type: string }>,
): Promise<boolean[]> {
  const { rows } = await tx.query<{ message_id: string }>(
    `INSERT INTO chassis_inbox (consumer, message_id, message_type)
     SELECT $1, m.id, m.type FROM unnest($2::text[], $3::text[]) AS m(id, type) ORDER BY m.id
     ON CONFLICT DO NOTHING RETURNING message_id`,
    [consumer, messages.map((m) => m.id), messages.map((m) => m.type)],
  );
  const recorded = new Set(rows.map((r) => r.message_id));
  return messages.map((m) => recorded.delete(m.id));
}
