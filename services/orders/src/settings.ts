import { defineSettings, env } from '@simplebank/chassis';

export const ordersSettings = defineSettings({
  /** An order not filled this long after its creation expires. */
  ORDER_TTL_SECONDS: env.integer({ default: 3600, min: 1 }),
  /** market gives up placing an order (exchange_unavailable) this long after the saga asked. */
  PLACEMENT_WINDOW_SECONDS: env.integer({ default: 30, min: 1 }),
});
