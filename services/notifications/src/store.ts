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
export async function insertNotification(
  tx: Queryable,
  customerId: string,
  message: Message,
  source: { id: string; type: string },
): Promise<string | null> {
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

/** What notifications knows of a customer's channels and addresses. */
export type ContactSettings = Preferences & { emailAddress: string | null; phone: string | null };

/**
 * Keeps the customer's preferences and addresses as of the event's time `asOf`: an older event
 * arriving late changes nothing. Returns the settings before and after when it changed a row that
 * was there (null for a first copy or a stale event), so the caller can tell the customer.
 */
export async function savePreferences(
  tx: Queryable,
  customerId: string,
  p: Preferences,
  contact: Contact,
  asOf: string,
): Promise<{ before: ContactSettings; after: ContactSettings } | null> {
  // Locked first, so `before` is the row this upsert replaces, not one a concurrent event wrote meanwhile.
  const { rows: old } = await tx.query<SettingsRow>(
    `SELECT ${SETTINGS} FROM preferences WHERE customer_id = $1 FOR UPDATE`,
    [customerId],
  );
  const { rows } = await tx.query<SettingsRow>(
    `INSERT INTO preferences (customer_id, email, sms, push, email_address, phone, as_of) VALUES ($1, $2, $3, $4, $5, $6, $9)
     ON CONFLICT (customer_id) DO UPDATE SET email = EXCLUDED.email, sms = EXCLUDED.sms, push = EXCLUDED.push,
       email_address = CASE WHEN $7 THEN EXCLUDED.email_address ELSE preferences.email_address END,
       phone = CASE WHEN $8 THEN EXCLUDED.phone ELSE preferences.phone END, as_of = EXCLUDED.as_of, updated_at = now()
     WHERE preferences.as_of IS NULL OR preferences.as_of <= EXCLUDED.as_of
     RETURNING ${SETTINGS}`,
    [
      customerId,
      p.email,
      p.sms,
      p.push,
      contact.email ?? null,
      contact.phone ?? null,
      contact.email !== undefined,
      contact.phone !== undefined,
      asOf,
    ],
  );
  return old[0] && rows[0] ? { before: settingsOf(old[0]), after: settingsOf(rows[0]) } : null;
}

const SETTINGS = 'email, sms, push, email_address, phone';
type SettingsRow = { email: boolean; sms: boolean; push: boolean; email_address: string | null; phone: string | null };
const settingsOf = (r: SettingsRow): ContactSettings => ({
  email: r.email,
  sms: r.sms,
  push: r.push,
  emailAddress: r.email_address,
  phone: r.phone,
});

/** The customer's notifications, newest first, after the cursor's position; one more than `limit` to know if a next page exists. */
export async function listNotifications(
  db: Queryable,
  customerId: string,
  limit: number,
  beforeSeq: bigint | undefined,
): Promise<NotificationRow[]> {
  const { rows } = await db.query<NotificationRow>(
    `SELECT seq::text, id, kind, title, body, at, read FROM notifications
     WHERE customer_id = $1 AND ($2::bigint IS NULL OR seq < $2::bigint) ORDER BY notifications.seq DESC LIMIT $3`,
    [customerId, beforeSeq === undefined ? null : beforeSeq.toString(), limit + 1],
  );
  return rows;
}

/** Marks the customer's own notification read; false when there is none with this id for them. */
export async function markRead(db: Queryable, customerId: string, notificationId: string): Promise<boolean> {
  const r = await db.query('UPDATE notifications SET read = true WHERE id = $1 AND customer_id = $2', [
    notificationId,
    customerId,
  ]);
  return r.rowCount === 1;
}
