/** notifications' SQL: the inbox, preferences and delivery attempts. */
import { randomUUID } from 'node:crypto';
import type { Queryable } from '@simplebank/chassis';
import type { Message } from './domain/messages.ts';

export type NotificationRow = {
  seq: string;
  id: string;
  kind: string;
  title: string;
  body: string;
  at: Date;
  read: boolean;
};

/** Writes the notification unless one was already written for this event; returns its id, or null for a repeat. */
export async function insertNotification(tx: Queryable, customerId: string, message: Message, source: { id: string; type: string }): Promise<string | null> {
  const { rows } = await tx.query<{ id: string }>(
    `INSERT INTO notifications (id, customer_id, kind, title, body, source_event_id, source_event_type) VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (source_event_id) DO NOTHING RETURNING id`,
    [randomUUID(), customerId, message.kind, message.title, message.body, source.id, source.type],
  );
  return rows[0]?.id ?? null;
}

export async function recordDelivery(tx: Queryable, notificationId: string, channel: 'in_app' | 'email' | 'sms', status: 'delivered' | 'skipped', detail?: string): Promise<void> {
  await tx.query('INSERT INTO deliveries (notification_id, channel, status, detail) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [notificationId, channel, status, detail ?? null]);
}

export type Preferences = {
  email: boolean;
  sms: boolean;
  push: boolean;
};

export async function savePreferences(tx: Queryable, customerId: string, p: Preferences): Promise<void> {
  await tx.query(
    `INSERT INTO preferences (customer_id, email, sms, push) VALUES ($1, $2, $3, $4)
     ON CONFLICT (customer_id) DO UPDATE SET email = EXCLUDED.email, sms = EXCLUDED.sms, push = EXCLUDED.push, updated_at = now()`,
    [customerId, p.email, p.sms, p.push],
  );
}

export async function getPreferences(db: Queryable, customerId: string): Promise<Preferences | undefined> {
  const { rows } = await db.query<Preferences>('SELECT email, sms, push FROM preferences WHERE customer_id = $1', [customerId]);
  return rows[0];
}

/** The customer's notifications, newest first, after the cursor's position; one more than `limit` to know if a next page exists. */
export async function listNotifications(db: Queryable, customerId: string, limit: number, beforeSeq: bigint | undefined): Promise<NotificationRow[]> {
  const { rows } = await db.query<NotificationRow>(
    `SELECT seq::text, id, kind, title, body, at, read FROM notifications
     WHERE customer_id = $1 AND ($2::bigint IS NULL OR seq < $2::bigint) ORDER BY notifications.seq DESC LIMIT $3`,
    [customerId, beforeSeq === undefined ? null : beforeSeq.toString(), limit + 1],
  );
  return rows;
}

/** Marks the customer's own notification read; false when there is none with this id for them. */
export async function markRead(db: Queryable, customerId: string, notificationId: string): Promise<boolean> {
  const r = await db.query('UPDATE notifications SET read = true WHERE id = $1 AND customer_id = $2', [notificationId, customerId]);
  return r.rowCount === 1;
}
