-- The fee schedule, versioned: the version in force is the latest one already effective.
CREATE TABLE fee_schedules (
  version        integer PRIMARY KEY,
  minimum_cents  bigint NOT NULL CHECK (minimum_cents >= 0),
  rate           text NOT NULL,            -- an exact decimal rate, e.g. '0.001' (parsed with @simplebank/money)
  effective_from timestamptz NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);

INSERT INTO fee_schedules (version, minimum_cents, rate, effective_from) VALUES (1, 100, '0.001', now());

-- Every fee charged, one per order; refunded at most once.
CREATE TABLE fees (
  id           text PRIMARY KEY,
  order_id     text NOT NULL UNIQUE,
  account_id   text NOT NULL,
  amount_cents bigint NOT NULL CHECK (amount_cents >= 0),
  charged_at   timestamptz NOT NULL DEFAULT now(),
  refunded_at  timestamptz
);
