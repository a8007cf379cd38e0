-- Investment strategies. `seq` orders them (newest first) and is the pagination cursor.
CREATE TABLE strategies (
  id            uuid PRIMARY KEY,
  seq           bigserial NOT NULL UNIQUE,
  name          text NOT NULL CHECK (length(btrim(name)) > 0),
  created_by_id text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- A strategy's allocations, in the order given: hundredths of a percent (3333 = 33.33%), exact
-- integers. That they sum to 10000 is the service's rule, checked before the insert.
CREATE TABLE strategy_assets (
  strategy_id           uuid NOT NULL REFERENCES strategies (id),
  position              integer NOT NULL CHECK (position >= 0),
  asset_id              text NOT NULL,
  percentage_hundredths integer NOT NULL CHECK (percentage_hundredths > 0 AND percentage_hundredths <= 10000),
  PRIMARY KEY (strategy_id, position),
  UNIQUE (strategy_id, asset_id)
);
