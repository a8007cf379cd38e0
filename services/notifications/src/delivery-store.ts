/**
 * The SQL of deliveries: one row per notification and channel. in_app is delivered when written;
 * email and sms are written `pending` in the same transaction as their notification and sent after
 * it commits by the delivery worker, which claims due rows, sends, and records the outcome.
 */
import type { Queryable } from '@simplebank/chassis';
import type { ChannelName } from './channels/channel.ts';

export type DeliveryChannel = 'in_app' | ChannelName;
export type DeliveryStatus = 'delivered' | 'failed' | 'pending';

/**
 * Writes the deliveries of the given notifications (same index: notification, its customer) by
 * each customer's preferences: in_app always (delivered), email and sms when opted in — pending,
 * or failed at once when there is no address to send to. Twice for a notification changes nothing.
 */
export async function planDeliveries(
  tx: Queryable,
  notificationIds: string[],
  customerIds: string[],
): Promise<{ channel: DeliveryChannel; status: DeliveryStatus }[]> {
  if (notificationIds.length === 0) return [];
  const { rows } = await tx.query<{ channel: DeliveryChannel; status: DeliveryStatus }>(
    `INSERT INTO deliveries (id, notification_id, customer_id, channel, status, recipient, attempts, next_attempt_at, detail)
     SELECT gen_random_uuid()::text, n.id, n.customer_id, c.channel,
            CASE WHEN c.channel = 'in_app' THEN 'delivered' WHEN c.address IS NULL THEN 'failed' ELSE 'pending' END,
            c.address,
            CASE WHEN c.channel = 'in_app' THEN 1 ELSE 0 END,
            CASE WHEN c.channel <> 'in_app' AND c.address IS NOT NULL THEN now() END,
            CASE WHEN c.channel <> 'in_app' AND c.address IS NULL THEN 'no ' || c.what || ' on file' END
     FROM unnest($1::text[], $2::text[]) AS n(id, customer_id)
     LEFT JOIN preferences p ON p.customer_id = n.customer_id
     CROSS JOIN LATERAL (VALUES ('in_app', n.customer_id, true, 'inbox'),
                                ('email', p.email_address, coalesce(p.email, false), 'e-mail address'),
                                ('sms', p.phone, coalesce(p.sms, false), 'phone number')) AS c(channel, address, wanted, what)
     WHERE c.wanted
     ON CONFLICT (notification_id, channel) DO NOTHING
     RETURNING channel, status`,
    [notificationIds, customerIds],
  );
  return rows;
}

export interface ClaimedDelivery {
  id: string;
  notificationId: string;
  channel: ChannelName;
  recipient: string;
  /** Counting this one. */
  attempts: number;
  title: string;
  body: string;
}

/**
 * Claims up to `limit` due deliveries for one attempt each: the attempt is counted and the row is
 * not due again for `leaseMs`, so no other worker sends it meanwhile, and one whose sender died
 * comes due again by itself. Committed at once: nothing is held open while the channel works.
 * The same statement says when the next of the others is due (ms; 0: now; undefined: none
 * pending), so a round costs no second query for it.
 */
export async function claimDue(
  db: Queryable,
  limit: number,
  leaseMs: number,
): Promise<{ claimed: ClaimedDelivery[]; nextDueInMs: number | undefined }> {
  const { rows } = await db.query<{
    next_ms: string | null;
    id: string | null;
    notification_id: string;
    channel: ChannelName;
    recipient: string;
    attempts: number;
    title: string;
    body: string;
  }>(
    // `later` reads the table as it was before the claim: the claimed rows are left out by id. One
    // row at least (the left join), so "none due, next at…" has its answer too.
    `WITH claimed AS (
       UPDATE deliveries d SET attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => $2::double precision / 1000), attempted_at = now()
       FROM notifications n
       WHERE n.id = d.notification_id AND d.id IN (
         SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= now() ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING d.id, d.notification_id, d.channel, d.recipient, d.attempts, n.title, n.body),
     later AS (
       SELECT min(next_attempt_at) AS due FROM deliveries WHERE status = 'pending' AND id NOT IN (SELECT id FROM claimed))
     SELECT CASE WHEN later.due IS NULL THEN NULL
                 ELSE greatest(0, ceil(extract(epoch FROM later.due - now()) * 1000))::bigint::text END AS next_ms,
            claimed.*
     FROM later LEFT JOIN claimed ON true`,
    [limit, leaseMs],
  );
  // None pending must read as none (undefined), not as "due now": greatest() ignores a NULL (greatest(0,
  // NULL) is 0, which once kept the worker polling thousands of times a second), hence the CASE.
  const nextMs = rows[0]?.next_ms;
  const claimed = rows
    .filter((r) => r.id !== null)
    .map((r) => ({
      id: r.id!,
      notificationId: r.notification_id,
      channel: r.channel,
      recipient: r.recipient,
      attempts: r.attempts,
      title: r.title,
      body: r.body,
    }));
  return { claimed, nextDueInMs: nextMs === null || nextMs === undefined ? undefined : Number(nextMs) };
}

/** Marks the deliveries of a round delivered, in one statement. */
export async function markDelivered(db: Queryable, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.query(
    `UPDATE deliveries SET status = 'delivered', next_attempt_at = NULL, attempted_at = now(), detail = NULL WHERE id = ANY($1::text[]) AND status = 'pending'`,
    [ids],
  );
}

/** The attempt failed: due again after `delayMs` — unless another worker claimed it since (its lease lapsed). */
export async function scheduleRetry(
  db: Queryable,
  id: string,
  attempts: number,
  delayMs: number,
  reason: string,
): Promise<void> {
  await db.query(
    `UPDATE deliveries SET next_attempt_at = now() + make_interval(secs => $3::double precision / 1000), detail = $4
     WHERE id = $1 AND status = 'pending' AND attempts = $2`,
    [id, attempts, delayMs, reason],
  );
}

export async function markFailed(db: Queryable, id: string, reason: string): Promise<void> {
  await db.query(
    `UPDATE deliveries SET status = 'failed', next_attempt_at = NULL, attempted_at = now(), detail = $2 WHERE id = $1 AND status = 'pending'`,
    [id, reason],
  );
}

/** Milliseconds until the next pending delivery is due (0: due now); undefined when none is pending. */
export async function nextDueInMs(db: Queryable): Promise<number | undefined> {
  const { rows } = await db.query<{ ms: string | null }>(
    // No pending delivery must read as none (undefined), not as "due now": greatest() ignores a NULL,
    // so greatest(0, NULL) is 0 — which once kept the worker polling thousands of times a second.
    `SELECT greatest(0, ceil(extract(epoch FROM due - now()) * 1000))::bigint::text AS ms
     FROM (SELECT min(next_attempt_at) AS due FROM deliveries WHERE status = 'pending') pending WHERE due IS NOT NULL`,
  );
  const ms = rows[0]?.ms;
  return ms === null || ms === undefined ? undefined : Number(ms);
}

export type DeliveryRow = {
  seq: string;
  id: string;
  notification_id: string;
  customer_id: string;
  channel: DeliveryChannel;
  recipient: string | null;
  subject: string;
  status: DeliveryStatus;
  attempts: number;
  attempted_at: Date;
  detail: string | null;
};

/** Deliveries newest first, optionally of one customer and channel, before the cursor's position; one more than `limit`. */
export async function listDeliveries(
  db: Queryable,
  filter: { customerId?: string; channel?: DeliveryChannel },
  limit: number,
  beforeSeq: bigint | undefined,
): Promise<DeliveryRow[]> {
  const { rows } = await db.query<DeliveryRow>(
    `SELECT d.seq::text, d.id, d.notification_id, d.customer_id, d.channel, d.recipient, n.title AS subject, d.status, d.attempts, d.attempted_at, d.detail
     FROM deliveries d JOIN notifications n ON n.id = d.notification_id
     WHERE ($1::text IS NULL OR d.customer_id = $1) AND ($2::text IS NULL OR d.channel = $2) AND ($3::bigint IS NULL OR d.seq < $3::bigint)
     ORDER BY d.seq DESC LIMIT $4`,
    [
      filter.customerId ?? null,
      filter.channel ?? null,
      beforeSeq === undefined ? null : beforeSeq.toString(),
      limit + 1,
    ],
  );
  return rows;
}
