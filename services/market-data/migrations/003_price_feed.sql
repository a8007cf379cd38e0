-- How far the random walk has been applied: every tick of PRICE_TICK_MS up to walked_to. The walk
-- is applied when prices are read (and at least every PRICE_FEED_IDLE_MS), catching up the ticks
-- since, so an idle feed commits nothing per tick. One row.
CREATE TABLE price_feed (
  id        smallint PRIMARY KEY CHECK (id = 1),
  walked_to timestamptz NOT NULL
);
