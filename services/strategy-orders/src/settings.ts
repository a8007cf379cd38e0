import { defineSettings, env } from '@simplebank/chassis';

export const strategyOrdersSettings = defineSettings({
  /**
   * An investment waiting for its payment asks payments for it this often, in case the payment's
   * event came before the investment was recorded (or went astray): the event is the usual way.
   */
  INVESTMENT_PAYMENT_CHECK_MS: env.integer({ default: 5000, min: 10 }),
  /** Likewise for its orders still open: orders' events are the usual way, this the safety net. */
  INVESTMENT_ORDER_CHECK_MS: env.integer({ default: 30000, min: 10 }),
});
