-- The chassis's own tables, in every service's database.

-- Transactional outbox: written in the same transaction as the state change, sent by the relay.
CREATE TABLE chassis_outbox (
  id            bigserial PRIMARY KEY,
  message_id    text NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('event', 'command')),
  destination   text NOT NULL,          -- the event type, or the command queue
  aggregate_key text,                   -- messages with one key are sent in order
  body          text NOT NULL,          -- the serialized envelope
  created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  published_at  timestamptz,
  attempts      integer NOT NULL DEFAULT 0,
  last_error    text
);
CREATE INDEX chassis_outbox_unpublished ON chassis_outbox (id) WHERE published_at IS NULL;
CREATE INDEX chassis_outbox_published_at ON chassis_outbox (published_at) WHERE published_at IS NOT NULL;

-- A wake-up for the relay, delivered at commit; the relay polls too, so none is needed for safety.
CREATE FUNCTION chassis_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('chassis_outbox', '');
  RETURN NULL;
END $$;
CREATE TRIGGER chassis_outbox_notify AFTER INSERT ON chassis_outbox
  FOR EACH STATEMENT EXECUTE FUNCTION chassis_outbox_notify();

-- Inbox: the ids of messages a consumer has handled, committed with the handler's writes.
CREATE TABLE chassis_inbox (
  consumer     text NOT NULL,
  message_id   text NOT NULL,
  message_type text NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, message_id)
);
CREATE INDEX chassis_inbox_processed_at ON chassis_inbox (processed_at);

-- Dead letters: messages that could not be handled (poison, or failing past the maximum attempts).
CREATE TABLE chassis_dead_letters (
  id              uuid PRIMARY KEY,
  consumer        text NOT NULL,
  message_id      text,
  message_type    text,
  body            text NOT NULL,
  reason          text NOT NULL,
  attempts        integer NOT NULL,
  first_failed_at timestamptz NOT NULL DEFAULT now(),
  last_failed_at  timestamptz NOT NULL DEFAULT now(),
  status          text NOT NULL DEFAULT 'dead' CHECK (status IN ('dead', 'replayed', 'discarded')),
  resolved_at     timestamptz
);
CREATE INDEX chassis_dead_letters_status ON chassis_dead_letters (status, last_failed_at DESC, id);
CREATE UNIQUE INDEX chassis_dead_letters_message ON chassis_dead_letters (consumer, message_id) WHERE status = 'dead' AND message_id IS NOT NULL;

-- Idempotency keys of state-changing RPC methods: the first answer, committed with the writes.
CREATE TABLE chassis_idempotency (
  method       text NOT NULL,
  key          text NOT NULL,
  request_hash text NOT NULL,
  response     text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (method, key)
);
CREATE INDEX chassis_idempotency_created_at ON chassis_idempotency (created_at);
