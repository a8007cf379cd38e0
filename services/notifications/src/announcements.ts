/**
 * Announcements: one event (a new strategy) that notifies every customer who opted in to email.
 * The event's handler only records the announcement; the delivery worker then writes it to the
 * customers a page at a time, each page in its own short transaction that also moves the
 * announcement's cursor — so a million customers are never one huge transaction, a crash resumes at
 * the last committed page, and the unique (event, customer) of notifications writes nobody twice.
 */
import type { Database, Queryable } from '@simplebank/chassis';
import type { Message } from './domain/messages.ts';
import { planDeliveries } from './delivery-store.ts';

/** Customers per page (per transaction). */
export const PAGE_SIZE = 200;

export async function recordAnnouncement(
  tx: Queryable,
  source: { id: string; type: string },
  message: Message,
): Promise<boolean> {
  const r = await tx.query(
    `INSERT INTO announcements (event_id, event_type, kind, title, body) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING`,
    [source.id, source.type, message.kind, message.title, message.body],
  );
  return r.rowCount === 1;
}

/** The oldest announcement not yet written to everyone, if any. */
export async function openAnnouncement(db: Queryable): Promise<string | undefined> {
  const { rows } = await db.query<{ event_id: string }>(
    'SELECT event_id FROM announcements WHERE done_at IS NULL ORDER BY created_at LIMIT 1',
  );
  return rows[0]?.event_id;
}

/**
 * Writes the next page of an announcement (notification and deliveries per opted-in customer) and
 * moves its cursor, in one transaction. Returns how many customers the page held, or undefined when
 * another worker holds the announcement (or it is done).
 */
export async function announceNextPage(
  db: Database,
  eventId: string,
  pageSize = PAGE_SIZE,
): Promise<number | undefined> {
  return db.transaction(async (tx) => {
    const { rows: held } = await tx.query<{
      event_type: string;
      kind: string;
      title: string;
      body: string;
      after_customer_id: string | null;
    }>(
      'SELECT event_type, kind, title, body, after_customer_id FROM announcements WHERE event_id = $1 AND done_at IS NULL FOR UPDATE SKIP LOCKED',
      [eventId],
    );
    const a = held[0];
    if (!a) return undefined;
    const { rows } = await tx.query<{
      last: string | null;
      n: string;
      ids: string[] | null;
      customers: string[] | null;
    }>(
      `WITH page AS (
         SELECT customer_id FROM preferences WHERE email AND ($2::text IS NULL OR customer_id > $2) ORDER BY customer_id LIMIT $3
       ), written AS (
         INSERT INTO notifications (id, customer_id, kind, title, body, source_event_id, source_event_type)
         SELECT gen_random_uuid()::text, customer_id, $4, $5, $6, $1, $7 FROM page
         ON CONFLICT (source_event_id, customer_id) DO NOTHING
         RETURNING id, customer_id
       )
       SELECT (SELECT max(customer_id) FROM page) AS last, (SELECT count(*) FROM page)::text AS n,
              (SELECT array_agg(id ORDER BY customer_id) FROM written) AS ids, (SELECT array_agg(customer_id ORDER BY customer_id) FROM written) AS customers`,
      [eventId, a.after_customer_id, pageSize, a.kind, a.title, a.body, a.event_type],
    );
    const page = rows[0]!;
    const n = Number(page.n);
    await planDeliveries(tx, page.ids ?? [], page.customers ?? []);
    await tx.query(
      `UPDATE announcements SET after_customer_id = coalesce($2, after_customer_id), done_at = CASE WHEN $3 THEN now() END WHERE event_id = $1`,
      [eventId, page.last, n < pageSize],
    );
    return n;
  });
}
