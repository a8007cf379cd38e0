-- reporting: read models built from other services' events only (decision 25). Every table but
-- `events` and `assets` is a projection: it can be emptied and rebuilt from `events`.

-- The retained event log: every event the service consumed, once (a redelivery or replay with the
-- same id is kept once). `seq` is the order it was first applied in, which a rebuild replays.
CREATE TABLE events (
  seq         bigserial PRIMARY KEY,
  id          text NOT NULL UNIQUE,
  type        text NOT NULL,
  time        timestamptz NOT NULL,          -- the envelope's time (when it was published)
  data        jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_time ON events (time);

-- The asset catalogue (names and types): market-data publishes no event for its instruments, so
-- this is a copy of its seed (002_seed_instruments.sql); see decision 25.
CREATE TABLE assets (
  id   text PRIMARY KEY,
  name text NOT NULL,
  type text NOT NULL CHECK (type IN ('stock', 'fund', 'etf'))
);
INSERT INTO assets (id, name, type) VALUES
  ('BHP',   'BHP Group',                              'stock'),
  ('GOOGL', 'Alphabet',                               'stock'),
  ('ABC',   'ABC Company',                            'stock'),
  ('AAPL',  'Apple',                                  'stock'),
  ('MSFT',  'Microsoft',                              'stock'),
  ('AMZN',  'Amazon',                                 'stock'),
  ('TSLA',  'Tesla',                                  'stock'),
  ('VOD',   'Vodafone',                               'stock'),
  ('NVDA',  'NVIDIA',                                 'stock'),
  ('META',  'Meta Platforms',                         'stock'),
  ('JPM',   'JPMorgan Chase',                         'stock'),
  ('V',     'Visa',                                   'stock'),
  ('KO',    'Coca-Cola',                              'stock'),
  ('PEP',   'PepsiCo',                                'stock'),
  ('NFLX',  'Netflix',                                'stock'),
  ('IBM',   'IBM',                                    'stock'),
  ('ORCL',  'Oracle',                                 'stock'),
  ('INTC',  'Intel',                                  'stock'),
  ('VTSAX', 'Vanguard Total Stock Market Index Fund', 'fund'),
  ('FXAIX', 'Fidelity 500 Index Fund',                'fund'),
  ('SPY',   'SPDR S&P 500 ETF Trust',                 'etf'),
  ('QQQ',   'Invesco QQQ Trust',                      'etf')
ON CONFLICT (id) DO NOTHING;

-- Orders, folded from OrderStatusChanged in any order: the status of highest rank (pending <
-- placed < an end) wins, then the latest; placed_at is the earliest event's time.
CREATE TABLE orders (
  order_id        text PRIMARY KEY,
  account_id      text NOT NULL,
  customer_id     text NOT NULL,
  asset_id        text NOT NULL,
  side            text NOT NULL CHECK (side IN ('buy', 'sell')),
  quantity_micros bigint NOT NULL,
  status          text NOT NULL,
  status_at       timestamptz NOT NULL,
  reason          text,
  fee_cents       bigint NOT NULL,
  fill_price_cents bigint,
  placed_at       timestamptz NOT NULL,
  filled_at       timestamptz,
  source          text NOT NULL CHECK (source IN ('customer', 'strategy')),
  investment_id   text
);
CREATE INDEX orders_by_customer ON orders (customer_id, placed_at DESC, order_id DESC);
CREATE INDEX orders_by_placed ON orders (placed_at DESC, order_id DESC);

-- Fees charged and refunded (fees' FeeCharged / FeeRefunded), one row each.
CREATE TABLE fee_events (
  fee_id       text NOT NULL,
  kind         text NOT NULL CHECK (kind IN ('charged', 'refunded')),
  order_id     text NOT NULL,
  account_id   text NOT NULL,
  amount_cents bigint NOT NULL CHECK (amount_cents >= 0),
  at           timestamptz NOT NULL,
  PRIMARY KEY (fee_id, kind)
);
CREATE INDEX fee_events_at ON fee_events (at);

-- The ledger's postings on customer accounts (LedgerPosted), netted per posting: the cash it moved
-- in or out of the account (both books: a reservation or a release nets to zero) and the position
-- of the one ticker it moved, if any. The statement's running balance is computed when read.
CREATE TABLE postings (
  posting_id      text PRIMARY KEY,
  account_id      text NOT NULL,
  kind            text NOT NULL,
  at              timestamptz NOT NULL,
  order_id        text,
  payment_id      text,
  price_cents     bigint,
  cash_cents      bigint NOT NULL,
  asset_id        text,
  quantity_micros bigint
);
CREATE INDEX postings_by_account ON postings (account_id, at, posting_id);
