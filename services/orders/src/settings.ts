import { defineSettings, env } from '@simplebank/chassis';

export const ordersSettings = defineSettings({
  /** An order not filled this long after its creation expires. */
  ORDER_TTL_SECONDS: env.integer({ default: 3600, min: 1 }),
  /** market gives up placing an order (exchange_unavailable) this long after the saga asked. */
  PLACEMENT_WINDOW_SECONDS: env.integer({ default: 30, min: 1 }),
  /** Admission control: an order pending longer than this (ms) means orders queue; the limit shrinks. */
  ORDER_INTAKE_TARGET_MS: env.integer({ default: 250, min: 1 }),
  /** The adaptive limit on pending orders starts here and stays within the bounds. */
  ORDER_INTAKE_INITIAL_LIMIT: env.integer({ default: 64, min: 1 }),
  ORDER_INTAKE_MIN_LIMIT: env.integer({ default: 8, min: 1 }),
  ORDER_INTAKE_MAX_LIMIT: env.integer({ default: 2000, min: 1 }),
});
