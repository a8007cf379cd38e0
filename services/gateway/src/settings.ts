/** The gateway's settings (names agreed in the house settings list). */
import { defineSettings, env } from '@simplebank/chassis';
import { EXCHANGE_API_KEY, apiKeySettings } from '@simplebank/exchange/contract';

export const DEVELOPMENT_JWT_SECRET = 'simplebank-development-jwt-secret-do-not-use-in-production';

export const gatewaySettings = apiKeySettings(
  defineSettings({
    /** HS256 key of the access tokens. A development default; refused with NODE_ENV=production. */
    SIMPLEBANK_JWT_SECRET: env.string({
      optional: process.env.NODE_ENV !== 'production',
      secret: true,
      minLength: 32,
    }) as ReturnType<typeof env.string<{ optional: true; secret: true; minLength: number }>>,
    ACCESS_TOKEN_TTL_SECONDS: env.integer({ default: 900, min: 30, max: 86_400 }),
    /** How long a gateway trusts "this session is active" before asking customers again: the bound on how long another gateway instance accepts a revoked session's access tokens. */
    SESSION_CHECK_CACHE_MS: env.integer({ default: 5000, min: 0, max: 60_000 }),
    /** Base URL of the simulated exchange's HTTP API (default: this process's `/exchange`). */
    EXCHANGE_URL: env.url({ optional: true, protocols: ['http', 'https'] }),
    /** The exchange's API key, for the admin route to its simulation controls (as market's). Decision 0015. */
    EXCHANGE_API_KEY,
    /** Requests per minute per customer (per IP when anonymous); 0 disables rate limiting. */
    GATEWAY_RATE_LIMIT_PER_MINUTE: env.integer({ default: 1200, min: 0 }),
    /** Time budget of a request without X-Deadline-Ms. */
    GATEWAY_DEFAULT_DEADLINE_MS: env.integer({ default: 10_000, min: 100, max: 60_000 }),
    /** The built web app (apps/web/dist), served at `/`; unset or not built: the API alone. `npm start` sets it. Decision 0027. */
    WEB_APP_DIR: env.string({ optional: true }),
  }),
  'client',
);

/** The signing key; throws at start in production when none is configured. */
export function jwtSecret(environment: NodeJS.ProcessEnv = process.env): string {
  const configured = gatewaySettings.value.SIMPLEBANK_JWT_SECRET;
  if (configured) return configured;
  if (environment.NODE_ENV === 'production')
    throw new Error('SIMPLEBANK_JWT_SECRET is required when NODE_ENV=production');
  return DEVELOPMENT_JWT_SECRET;
}
