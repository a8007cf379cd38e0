/** notifications' SQL: the inbox, and the preferences and addresses copied from customers' events. Deliveries: delivery-store.ts. */
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

/** Writes the notification unless one was already written for this event and customer; returns its id, or null for a repeat. */
export async function insertNotification(tx: Queryable, customerId: string, message: Message, source: { id: string; type: string }): Promise<string | null> {
  const { rows } = await tx.query<{ id: string }>(
    `INSERT INTO notifications (id, customer_id, kind, title, body, source_event_id, source_event_type) VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (source_event_id, customer_id) DO NOTHING RETURNING id`,
    [randomUUID(), customerId, message.kind, message.title, message.body, source.id, source.type],
  );
  return rows[0]?.id ?? null;
}

export type Preferences = {
  email: boolean;
  sms: boolean;
  push: boolean;
};

/** The addresses an event carried; `undefined` (an event from before they were carried) keeps what is known. */
export type Contact = { email?: string | undefined; phone?: string | null | undefined };

/** Keeps the customer's preferences and addresses as of the event's time `asOf`: an older event arriving late changes nothing. */
export async function savePreferences(tx: Queryable, customerId: string, p: Preferences, contact: Contact, asOf: string): Promise<void> {
  await tx.query(
    `INSERT INTO preferences (customer_id, email, sms, push, email_address, phone, as_of) VALUES ($1, $2, $3, $4, $5, $6, $9)
     ON CONFLICT (customer_id) DO UPDATE SET email = EXCLUDED.email, sms = EXCLUDED.sms, push = EXCLUDED.push,
       email_address = CASE WHEN $7 THEN EXCLUDED.email_address ELSE preferences.email_address END,
       phone = CASE WHEN $8 THEN EXCLUDED.phone ELSE preferences.phone END, as_of = EXCLUDED.as_of, updated_at = now()
     WHERE preferences.as_of IS NULL OR preferences.as_of <= EXCLUDED.as_of`,
    [customerId, p.email, p.sms, p.push, contact.email ?? null, contact.phone ?? null, contact.email !== undefined, contact.phone !== undefined, asOf],
  );
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
