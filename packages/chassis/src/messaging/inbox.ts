/**
 * The inbox of the idempotent consumer (seed 003 L127–152): the id of a handled message is recorded
 * in the handler's own transaction, so a redelivered message finds it and changes nothing.
 */
import type { Queryable } from '../db/database.ts';

/**
 * Records that `consumer` handles `messageId` in the current transaction. False when it already
 * had (a duplicate). A concurrent duplicate waits on the key until the first commits or rolls back.
 */
export async function recordInInbox(tx: Queryable, consumer: string, messageId: string, messageType: string): Promise<boolean> {
  const result = await tx.query('INSERT INTO chassis_inbox (consumer, message_id, message_type) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [consumer, messageId, messageType]);
  return result.rowCount === 1;
}
