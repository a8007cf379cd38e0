-- The ledger of SimpleBank: postings of balanced entries, per-account balances kept beside them
-- (for the checks that no customer book goes negative), and reservations.
-- Amounts are bigint: cents for USD, micro-units for a ticker.

-- One row per customer account: the lock that serializes postings on the account.
CREATE TABLE ledger_accounts (
  account_id text PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- A customer account's books per asset. Changed only under the account's lock, with its entries.
CREATE TABLE balances (
  account_id text NOT NULL REFERENCES ledger_accounts (account_id),
  asset text NOT NULL,
  available bigint NOT NULL DEFAULT 0 CHECK (available >= 0),
  reserved bigint NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  PRIMARY KEY (account_id, asset)
);

CREATE TABLE postings (
  id uuid PRIMARY KEY,
  -- What makes the posting unique (e.g. deposit:<paymentId>, fee:<feeId>): a retried command posts nothing twice.
  posting_key text NOT NULL UNIQUE,
  kind text NOT NULL CHECK (kind IN ('deposit', 'withdrawal', 'reservation', 'release', 'fee', 'fee_refund', 'trade')),
  account_id text NOT NULL,
  order_id text,
  payment_id text,
  fee_id text,
  reservation_id uuid,
  -- A trade's fill price, in cents.
  price bigint,
  at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE entries (
  seq bigserial PRIMARY KEY,
  id uuid NOT NULL UNIQUE,
  posting_id uuid NOT NULL REFERENCES postings (id),
  -- NULL for a system book.
  account_id text,
  book text NOT NULL CHECK (book IN ('available', 'reserved', 'external', 'house:fees', 'exchange')),
  asset text NOT NULL,
  amount bigint NOT NULL CHECK (amount <> 0),
  CHECK ((account_id IS NULL) = (book IN ('external', 'house:fees', 'exchange')))
);
CREATE INDEX entries_by_account ON entries (account_id, seq DESC) WHERE account_id IS NOT NULL;

CREATE TABLE reservations (
  id uuid PRIMARY KEY,
  account_id text NOT NULL,
  asset text NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  remaining bigint NOT NULL CHECK (remaining >= 0 AND remaining <= amount),
  status text NOT NULL CHECK (status IN ('held', 'released', 'consumed')),
  order_id text,
  payment_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((status = 'held') = (remaining > 0))
);
CREATE INDEX reservations_by_payment ON reservations (payment_id) WHERE payment_id IS NOT NULL;
