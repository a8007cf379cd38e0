-- Issue 9: sums that cannot overflow. Cash, quantities and costs here are sums over every posting of
-- an account (a cost is a sum of quantity × price): integer numerics of up to 1000 digits instead of
-- bigint, exact and out of reach of any count of postings (docs/limits.md). A single price stays bigint:
-- it is at most the limit of market-data.
ALTER TABLE cash
  ALTER COLUMN available_cents TYPE numeric(1000, 0),
  ALTER COLUMN reserved_cents TYPE numeric(1000, 0);
ALTER TABLE positions
  ALTER COLUMN available_micros TYPE numeric(1000, 0),
  ALTER COLUMN reserved_micros TYPE numeric(1000, 0),
  ALTER COLUMN cost_cents TYPE numeric(1000, 0);
