-- Instruments and their current prices (bigint cents), with the last price published as PriceChanged.
CREATE TABLE assets (
  id                    text PRIMARY KEY,                 -- the ticker
  name                  text NOT NULL,
  type                  text NOT NULL CHECK (type IN ('stock', 'fund', 'etf')),
  currency              text NOT NULL DEFAULT 'USD' CHECK (currency = 'USD'),
  price_cents           bigint NOT NULL CHECK (price_cents >= 1),
  pinned                boolean NOT NULL DEFAULT false,
  updated_at            timestamptz NOT NULL DEFAULT clock_timestamp(),
  published_price_cents bigint,                           -- the price last published as PriceChanged
  published_at          timestamptz
);
CREATE INDEX assets_name_lower ON assets (lower(name));

-- Price history: every published price (throttled, so bounded by the throttle per asset).
CREATE TABLE price_history (
  id          bigserial PRIMARY KEY,
  asset_id    text NOT NULL REFERENCES assets (id),
  price_cents bigint NOT NULL,
  at          timestamptz NOT NULL
);
CREATE INDEX price_history_asset_at ON price_history (asset_id, at DESC);
