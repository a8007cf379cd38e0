import { defineSettings, env } from '@simplebank/chassis';
import { EXCHANGE_API_KEY, apiKeySettings } from '@simplebank/exchange/contract';

export const marketSettings = apiKeySettings(
  defineSettings({
    /** The exchange's base URL; default: this process's HTTP address + /exchange (all-in-one). */
    EXCHANGE_URL: env.url({ optional: true, protocols: ['http', 'https'] }),
    /**
     * The exchange's API key, sent with every call (`authorization: Bearer …`). Unset: the key made in
     * this process (all-in-one); required when EXCHANGE_URL is set or NODE_ENV=production. Decision 0015.
     */
    EXCHANGE_API_KEY,
    /** The timeout of one call to the exchange. */
    EXCHANGE_TIMEOUT_MS: env.integer({ default: 2000, min: 1 }),
    /**
     * The safety net behind the exchange's callbacks: a placed order is checked for a fill this long
     * after its placement, then at doubling intervals up to EXCHANGE_POLL_MAX_MS.
     */
    EXCHANGE_POLL_MS: env.integer({ default: 2000, min: 1 }),
    EXCHANGE_POLL_MAX_MS: env.integer({ default: 30_000, min: 1 }),
    /**
     * Where the exchange calls market back (POST, see callbacks.ts); default: this process's HTTP
     * address + /market/exchange-callbacks. Set it when the exchange reaches market by another address.
     */
    EXCHANGE_CALLBACK_URL: env.url({ optional: true, protocols: ['http', 'https'] }),
    /** Attempts per call for idempotent calls (1: no retry in the call; the job retries later anyway). */
    EXCHANGE_MAX_ATTEMPTS: env.integer({ default: 2, min: 1, max: 10 }),
    /** The exchange's circuit breaker: failure rate (percent) over the window, with a minimum of calls. */
    EXCHANGE_BREAKER_FAILURE_PERCENT: env.integer({ default: 50, min: 1, max: 99 }),
    EXCHANGE_BREAKER_WINDOW_MS: env.integer({ default: 10_000, min: 100 }),
    EXCHANGE_BREAKER_MIN_CALLS: env.integer({ default: 5, min: 1 }),
    /** Back-off before a probe, doubled per failed probe up to the max. */
    EXCHANGE_BREAKER_HALF_OPEN_MS: env.integer({ default: 500, min: 1 }),
    EXCHANGE_BREAKER_MAX_HALF_OPEN_MS: env.integer({ default: 10_000, min: 1 }),
    /** Holds the exchange breaker open from the start (tests; an operator's setting). */
    EXCHANGE_BREAKER_FORCE_OPEN: env.boolean({ default: false }),
  }),
  'client',
);
