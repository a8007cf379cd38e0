/**
 * The settings the end-to-end suite expects of the system under test (short simulation delays,
 * a frozen price feed, orders that expire in seconds). The in-process harness (system.ts) starts
 * the all-in-one with them; a system started elsewhere for SIMPLEBANK_E2E_URL (e.g. the distributed
 * mode, scripts/test-distributed.ts) must be started with them too.
 */
export const E2E_SETTINGS: Record<string, string> = {
  PRICE_TICK_MS: '0',
  PAYMENT_PROVIDER_DELAY_MS: '20',
  EXCHANGE_FILL_DELAY_MS: '50',
  ORDER_TTL_SECONDS: '6',
  PLACEMENT_WINDOW_SECONDS: '3',
};
