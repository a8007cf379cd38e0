-- Investment accounts. `seq` orders them (newest first) and is the pagination cursor.
CREATE TABLE accounts (
  id         uuid PRIMARY KEY,
  seq        bigserial NOT NULL UNIQUE,
  owner_id   text NOT NULL,
  name       text NOT NULL,
  currency   text NOT NULL DEFAULT 'USD' CHECK (currency = 'USD'),
  status     text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX accounts_owner_seq ON accounts (owner_id, seq DESC);
