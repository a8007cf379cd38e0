-- Payments between an account and the outside world. Only the card's last 4 digits are kept.
CREATE TABLE payments (
  id               uuid PRIMARY KEY,
  account_id       text NOT NULL,
  customer_id      text NOT NULL,
  kind             text NOT NULL CHECK (kind IN ('deposit', 'withdrawal')),
  method           text NOT NULL CHECK (method IN ('card', 'bank_transfer')),
  amount_cents     bigint NOT NULL CHECK (amount_cents > 0),
  card_last4       text CHECK (card_last4 ~ '^\d{4}$'),
  status           text NOT NULL CHECK (status IN ('pending', 'completed', 'failed')),
  reason           text,
  -- For a withdrawal: the ledger reservation holding the cash.
  reservation_id   text,
  -- The simulated provider's answer, decided when it took the request, given when due_at comes.
  provider_outcome text NOT NULL CHECK (provider_outcome IN ('completed', 'failed')),
  provider_reason  text,
  due_at           timestamptz NOT NULL,
  correlation_id   text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_pending_due ON payments (due_at) WHERE status = 'pending';
CREATE INDEX payments_customer ON payments (customer_id);
