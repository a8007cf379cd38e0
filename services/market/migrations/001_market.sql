-- Placement jobs: one per order, from the PlaceOrderOnExchange command to its outcome on the exchange.
CREATE TABLE exchange_jobs (
  order_id          text PRIMARY KEY,
  asset_id          text,                    -- null only for a cancel that came before any placement
  side              text CHECK (side IN ('buy', 'sell')),
  quantity_micros   bigint CHECK (quantity_micros > 0),
  limit_price_cents bigint CHECK (limit_price_cents > 0),
  place_by          timestamptz,
  status            text NOT NULL CHECK (status IN ('pending', 'placed', 'filled', 'canceled', 'failed')),
  exchange_order_id text,
  attempts          integer NOT NULL DEFAULT 0,      -- placement requests sent
  cancel_reason     text CHECK (cancel_reason IN ('canceled_by_customer', 'expired')),
  cancel_attempts   integer NOT NULL DEFAULT 0,
  next_attempt_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  failure_reason    text CHECK (failure_reason IN ('exchange_rejected', 'exchange_unavailable')),
  fill_price_cents  bigint,
  filled_at         timestamptz,
  last_error        text,
  correlation_id    text NOT NULL,           -- of the command: what the job publishes carries it on
  causation_id      text,
  identity          jsonb,
  created_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at        timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX exchange_jobs_due ON exchange_jobs (next_attempt_at) WHERE status IN ('pending', 'placed');
