-- holdings: a read model projected from transactions.LedgerPosted, and a price cache from
-- market-data.PriceChanged. Money in bigint cents, quantities in bigint micro-units.

-- Each ledger posting is applied once per account (the chassis inbox guards per event id; this
-- guards per posting, e.g. against a replay from the dead-letter store under another event id).
CREATE TABLE applied_postings (
  posting_id text NOT NULL,
  account_id text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (posting_id, account_id)
);

CREATE TABLE cash (
  account_id text PRIMARY KEY,
  available_cents bigint NOT NULL DEFAULT 0,
  reserved_cents bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE positions (
  account_id text NOT NULL,
  asset_id text NOT NULL,
  available_micros bigint NOT NULL DEFAULT 0,
  reserved_micros bigint NOT NULL DEFAULT 0,
  -- total cost of the quantity held, in cents: average cost = cost / quantity
  cost_cents bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, asset_id)
);

CREATE TABLE prices (
  asset_id text PRIMARY KEY,
  price_cents bigint NOT NULL CHECK (price_cents >= 0),
  quoted_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);
