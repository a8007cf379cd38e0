import { defineSettings, env } from '@simplebank/chassis';

export const marketDataSettings = defineSettings({
  /** Interval of the random walk; 0 disables it. */
  PRICE_TICK_MS: env.integer({ default: 1000, min: 0 }),
  /** While nobody reads prices, the walk is still applied (and published) at least this often. */
  PRICE_FEED_IDLE_MS: env.integer({ default: 60_000, min: 1 }),
  MARKET_DATA_SEED: env.integer({ default: 42 }),
  /** At most one PriceChanged per asset per this interval. */
  PRICE_CHANGED_THROTTLE_MS: env.integer({ default: 1000, min: 0 }),
});
