import { defineSettings, env } from '@simplebank/chassis';

export const paymentsSettings = defineSettings({
  /** The simulated provider completes a pending payment after this delay. */
  PAYMENT_PROVIDER_DELAY_MS: env.integer({ default: 100, min: 0 }),
});
