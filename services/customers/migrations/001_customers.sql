-- Customers: email is stored lower-cased and unique (case-insensitively, by the index on lower(email)).
CREATE TABLE customers (
  id            uuid PRIMARY KEY,
  email         text NOT NULL,
  name          text NOT NULL,
  -- scrypt$<N>$<r>$<p>$<salt base64url>$<hash base64url>: the parameters travel with the hash.
  password_hash text NOT NULL,
  role          text NOT NULL CHECK (role IN ('customer', 'admin')),
  pref_email    boolean NOT NULL DEFAULT true,
  pref_sms      boolean NOT NULL DEFAULT false,
  pref_push     boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX customers_email_unique ON customers (lower(email));

-- Refresh-token families: one per login; revoking a family ends every token of it.
CREATE TABLE session_families (
  id          uuid PRIMARY KEY,
  customer_id uuid NOT NULL REFERENCES customers (id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);
CREATE INDEX session_families_customer ON session_families (customer_id);

-- Refresh tokens, only as sha256 hashes. A token is spent when rotated; presenting a spent one revokes its family.
CREATE TABLE refresh_tokens (
  token_hash  text PRIMARY KEY,
  family_id   uuid NOT NULL REFERENCES session_families (id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  spent_at    timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
