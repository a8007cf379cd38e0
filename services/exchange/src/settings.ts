import { defineSettings, env } from '@simplebank/chassis';
import { EXCHANGE_API_KEY, apiKeySettings } from './api-key.ts';

export const exchangeSettings = apiKeySettings(
  defineSettings({
    /** The initial fill delay; afterwards `PUT /exchange/settings` changes it. */
    EXCHANGE_FILL_DELAY_MS: env.integer({ default: 200, min: 0, max: 3_600_000 }),
    /**
     * The credential every request to the exchange's API must carry (`authorization: Bearer …`);
     * market and the gateway send it. Unset: made at start, known in this process only (all-in-one);
     * required with NODE_ENV=production. Decision 0015.
     */
    EXCHANGE_API_KEY,
  }),
  'exchange',
);
