import { defineSettings, env } from '@simplebank/chassis';

export const exchangeSettings = defineSettings({
  /** The initial fill delay; afterwards `PUT /exchange/settings` changes it. */
  EXCHANGE_FILL_DELAY_MS: env.integer({ default: 200, min: 0, max: 3_600_000 }),
});
