-- notifications: each customer's in-app inbox, contact preferences, and delivery attempts per channel.

CREATE TABLE notifications (
  seq bigserial PRIMARY KEY,               -- insertion order: the list is newest first by seq
  id text NOT NULL UNIQUE,
  customer_id text NOT NULL,
  kind text NOT NULL,
  title text NOT NULL,
  body text NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  read boolean NOT NULL DEFAULT false,
  -- the id of the event that caused it: a replay (e.g. from the dead-letter store) writes nothing twice
  source_event_id text NOT NULL UNIQUE,
  source_event_type text NOT NULL
);
CREATE INDEX notifications_by_customer ON notifications (customer_id, seq DESC);

CREATE TABLE preferences (
  customer_id text PRIMARY KEY,
  email boolean NOT NULL,
  sms boolean NOT NULL,
  push boolean NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- One row per notification and channel: in_app is delivered when written; email and sms (wave 2)
-- are recorded as skipped until their adapters exist.
CREATE TABLE deliveries (
  notification_id text NOT NULL REFERENCES notifications (id),
  channel text NOT NULL CHECK (channel IN ('in_app', 'email', 'sms')),
  status text NOT NULL CHECK (status IN ('delivered', 'pending', 'skipped', 'failed')),
  detail text,
  attempted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (notification_id, channel)
);
