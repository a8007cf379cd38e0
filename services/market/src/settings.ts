import { defineSettings, env } from '@simplebank/chassis';

export const marketSettings = defineSettings({
  /** The exchange's base URL; default: this process's HTTP address + /exchange (all-in-one). */
  EXCHANGE_URL: env.url({ optional: true, protocols: ['http', 'https'] }),
  EXCHANGE_TIMEOUT_MS: env.integer({ default: 2000, min: 1 }),
  /** How often a placed order is checked for a fill. */
  EXCHANGE_POLL_MS: env.integer({ default: 200, min: 1 }),
});
