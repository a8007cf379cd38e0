/**
 * The settings the end-to-end suite expects of the system under test (short simulation delays,
 * a frozen price feed, orders that expire in seconds). The in-process harness (system.ts) starts
 * the all-in-one with them; a system started elsewhere for SIMPLEBANK_E2E_URL (e.g. the distributed
 * mode, scripts/test-distributed.ts) must be started with them too.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const E2E_SETTINGS: Record<string, string> = {
  // The email and SMS file sinks write here, not into the developer's ./.simplebank (the suite reads
  // deliveries through the API, never these files).
  NOTIFICATIONS_SINK_DIR: join(tmpdir(), 'simplebank-e2e-notification-sinks'),
  PRICE_TICK_MS: '0',
  PAYMENT_PROVIDER_DELAY_MS: '20',
  EXCHANGE_FILL_DELAY_MS: '50',
  ORDER_TTL_SECONDS: '6',
  PLACEMENT_WINDOW_SECONDS: '3',
};
