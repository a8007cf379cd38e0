-- strategy-orders' data. Money in cents, quantities in micro-units, percentages in hundredths of a
-- percent (bigint / integer), never floating point.

-- Strategies as strategies published them (StrategyCreated), or as read from it when an investment
-- came first: a strategy never changes, so a copy serves every later investment.
CREATE TABLE known_strategies (
  id          uuid PRIMARY KEY,
  name        text NOT NULL,
  assets      jsonb NOT NULL,            -- [{assetId, percentage: "33.33"}], in the strategy's order
  received_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE investments (
  id           uuid PRIMARY KEY,
  seq          bigserial NOT NULL UNIQUE,  -- creation order: lists go newest first by it
  customer_id  text NOT NULL,
  strategy_id  uuid NOT NULL,
  account_id   text NOT NULL,
  amount_cents bigint NOT NULL CHECK (amount_cents > 0),
  payment_id   text NOT NULL UNIQUE,       -- payments' news is matched to the investment by it
  status       text NOT NULL CHECK (status IN ('awaiting_payment', 'ordering', 'completed', 'failed')),
  reason       text,
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL
);
CREATE INDEX investments_by_customer ON investments (customer_id, seq DESC);

-- One row per allocation of the strategy: its share, the plan (once the payment completed), and
-- its order as last heard from orders, or why it has none.
CREATE TABLE investment_allocations (
  investment_id         uuid NOT NULL REFERENCES investments (id),
  position              integer NOT NULL CHECK (position >= 0),
  asset_id              text NOT NULL,
  percentage_hundredths integer NOT NULL CHECK (percentage_hundredths > 0 AND percentage_hundredths <= 10000),
  share_cents           bigint NOT NULL CHECK (share_cents >= 0),
  quote_price_cents     bigint,
  limit_price_cents     bigint,
  quantity_micros       bigint CHECK (quantity_micros > 0),
  skipped_reason        text,
  order_id              text UNIQUE,
  order_status          text CHECK (order_status IN ('pending', 'placed', 'filled', 'rejected', 'failed', 'canceled', 'expired')),
  fill_price_cents      bigint,
  fee_cents             bigint,
  PRIMARY KEY (investment_id, position),
  CHECK (skipped_reason IS NULL OR order_id IS NULL)
);
