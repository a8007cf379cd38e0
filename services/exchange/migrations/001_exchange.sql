-- The simulated exchange's order book and its simulation settings.
CREATE TABLE exchange_orders (
  id                text PRIMARY KEY,
  client_order_id   text NOT NULL UNIQUE,
  asset_id          text NOT NULL,
  side              text NOT NULL CHECK (side IN ('buy', 'sell')),
  quantity_micros   bigint NOT NULL CHECK (quantity_micros > 0),
  limit_price_cents bigint NOT NULL CHECK (limit_price_cents > 0),
  status            text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'filled', 'canceled', 'rejected')),
  fill_price_cents  bigint,
  filled_at         timestamptz,
  reason            text,
  created_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at        timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX exchange_orders_open ON exchange_orders (created_at) WHERE status = 'open';

-- One row: open or closed, latency, failure rate (parts per million, integer), fill delay.
CREATE TABLE exchange_settings (
  id               smallint PRIMARY KEY CHECK (id = 1),
  open             boolean NOT NULL DEFAULT true,
  latency_ms       integer NOT NULL DEFAULT 0 CHECK (latency_ms BETWEEN 0 AND 60000),
  failure_rate_ppm integer NOT NULL DEFAULT 0 CHECK (failure_rate_ppm BETWEEN 0 AND 1000000),
  fill_delay_ms    integer NOT NULL CHECK (fill_delay_ms BETWEEN 0 AND 3600000)
);
