-- Customers' orders. Money in cents, quantities in micro-units (bigint), never floating point.
CREATE TABLE orders (
  id                   text PRIMARY KEY,
  seq                  bigserial NOT NULL UNIQUE,        -- creation order: lists go newest first by it
  customer_id          text NOT NULL,
  account_id           text NOT NULL,
  asset_id             text NOT NULL,
  side                 text NOT NULL CHECK (side IN ('buy', 'sell')),
  quantity_micros      bigint NOT NULL CHECK (quantity_micros > 0),
  quote_price_cents    bigint NOT NULL CHECK (quote_price_cents >= 0),
  limit_price_cents    bigint NOT NULL CHECK (limit_price_cents >= 0),
  fee_cents            bigint NOT NULL CHECK (fee_cents >= 0),
  fee_schedule_version integer NOT NULL,
  status               text NOT NULL CHECK (status IN ('pending', 'placed', 'filled', 'rejected', 'failed', 'canceled', 'expired')),
  reason               text,
  fill_price_cents     bigint,                           -- known from the exchange's fill; shown once the order is filled
  expires_at           timestamptz NOT NULL,
  placement_sent_at    timestamptz,                      -- when the saga sent the placement job to market
  created_at           timestamptz NOT NULL,
  updated_at           timestamptz NOT NULL
);
CREATE INDEX orders_by_customer ON orders (customer_id, seq DESC);
CREATE INDEX orders_by_account ON orders (account_id, seq DESC);

CREATE TABLE order_history (
  order_id text NOT NULL REFERENCES orders (id),
  n        integer NOT NULL,
  status   text NOT NULL,
  reason   text,
  at       timestamptz NOT NULL,
  PRIMARY KEY (order_id, n)
);
