-- Channels (issue 11): email and SMS deliveries through adapters, retried with back-off after the
-- consumer's commit; strategy announcements fanned out to opted-in customers page by page.

-- The customer's addresses, copied from customers' events beside the preferences (decision 23):
-- a delivery never asks customers. Null until an event carrying them arrives. `as_of` is the time of
-- the event they came from: customers' two events arrive on two queues, so an older one may come
-- second, and must not undo the newer.
ALTER TABLE preferences ADD COLUMN email_address text, ADD COLUMN phone text, ADD COLUMN as_of timestamptz;

-- One event may now notify many customers (a new strategy): a notification is unique per event
-- and customer, which still writes nothing twice for a redelivered or replayed event.
ALTER TABLE notifications DROP CONSTRAINT notifications_source_event_id_key;
ALTER TABLE notifications ADD CONSTRAINT notifications_source_event_customer UNIQUE (source_event_id, customer_id);

-- Deliveries: still one per notification and channel (the primary key), now with an id, the
-- customer, the address it goes to, and the retry state: attempts and when the next one is due.
-- A pending row whose next_attempt_at has passed is due; a worker claims it by moving
-- next_attempt_at past a lease, so a crashed sender's claim lapses and the delivery is tried again.
ALTER TABLE deliveries
  ADD COLUMN seq bigserial,
  ADD COLUMN id text,
  ADD COLUMN customer_id text,
  ADD COLUMN recipient text,
  ADD COLUMN attempts integer NOT NULL DEFAULT 0,
  ADD COLUMN next_attempt_at timestamptz;
UPDATE deliveries d SET id = gen_random_uuid()::text, customer_id = n.customer_id,
  recipient = CASE WHEN d.channel = 'in_app' THEN n.customer_id END,
  attempts = CASE WHEN d.status = 'delivered' THEN 1 ELSE 0 END
  FROM notifications n WHERE n.id = d.notification_id;
-- Wave 1 recorded email and SMS as skipped (no adapter yet): they were never sent.
UPDATE deliveries SET status = 'failed', detail = 'not sent: recorded before the channel adapters existed' WHERE status = 'skipped';
ALTER TABLE deliveries ALTER COLUMN id SET NOT NULL, ALTER COLUMN customer_id SET NOT NULL;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_id_key UNIQUE (id);
ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check CHECK (status IN ('delivered', 'pending', 'failed'));
ALTER TABLE deliveries ADD CONSTRAINT deliveries_pending_due CHECK ((status = 'pending') = (next_attempt_at IS NOT NULL));
-- The admin's list: newest first, by customer and optionally channel.
CREATE INDEX deliveries_by_customer ON deliveries (customer_id, seq DESC);
CREATE INDEX deliveries_by_seq ON deliveries (seq DESC);
-- The worker's queue: only pending rows, by when they are due.
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';

-- A new strategy to announce: written by the StrategyCreated handler, then worked page by page
-- (customers after `after_customer_id`, in id order) until done, one transaction per page.
CREATE TABLE announcements (
  event_id text PRIMARY KEY,
  event_type text NOT NULL,
  kind text NOT NULL,
  title text NOT NULL,
  body text NOT NULL,
  after_customer_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  done_at timestamptz
);
CREATE INDEX announcements_open ON announcements (created_at) WHERE done_at IS NULL;
