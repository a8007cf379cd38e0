/**
 * The exchange's API credential (decision 0015): every request to `/exchange/…` must carry
 * `authorization: Bearer <EXCHANGE_API_KEY>`, which only its clients hold — market (its trading
 * link) and the gateway's admin route (the simulation's controls). Compared in constant time; a
 * request without it gets 401 and changes nothing.
 *
 * Without EXCHANGE_API_KEY, a key is made at start (32 random bytes) and shared in process only:
 * the all-in-one mode and the tests, where exchange, market and gateway run in one process. A
 * client that reaches the exchange at another address (EXCHANGE_URL set), or any service with
 * NODE_ENV=production, needs it configured, and says so at start (`apiKeySettings`).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ConfigError, env, type Settings } from '@simplebank/chassis';

/** The setting, declared by the exchange and by each of its clients. */
export const EXCHANGE_API_KEY = env.string({ optional: true, secret: true, minLength: 32 });

let generated: string | undefined;

/** The key this process uses: the configured one, else the one made for this process. */
export function exchangeApiKey(configured: string | undefined): string {
  return configured || (generated ??= randomBytes(32).toString('base64url'));
}

/** Whether an `authorization` header carries the key (constant time, whatever the lengths). */
export function carriesApiKey(authorization: string | undefined, key: string): boolean {
  const given = authorization?.startsWith('Bearer ') ? authorization.slice(7) : '';
  // Hashes have equal lengths: the comparison takes the same time for any given value.
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return given.length > 0 && timingSafeEqual(digest(given), digest(key));
}

/**
 * `settings` whose load also refuses a missing EXCHANGE_API_KEY where a made-up one would not do:
 * with NODE_ENV=production, or (for a client) when the exchange is elsewhere (EXCHANGE_URL).
 */
export function apiKeySettings<S extends Settings<any>>(settings: S, role: 'exchange' | 'client'): S {
  const check = (value: { EXCHANGE_API_KEY?: string; EXCHANGE_URL?: string }, source: NodeJS.ProcessEnv) => {
    if (value.EXCHANGE_API_KEY) return;
    if (source.NODE_ENV === 'production')
      throw new ConfigError([
        'EXCHANGE_API_KEY is required when NODE_ENV=production (a string of at least 32 characters)',
      ]);
    if (role === 'client' && value.EXCHANGE_URL)
      throw new ConfigError([
        'EXCHANGE_API_KEY is required when EXCHANGE_URL is set (the key the exchange there expects)',
      ]);
  };
  let checked = false;
  return {
    spec: settings.spec,
    load(source = process.env) {
      const value = settings.load(source);
      check(value, source);
      checked = true;
      return value;
    },
    get value() {
      const value = settings.value;
      if (!checked) {
        check(value, process.env);
        checked = true;
      }
      return value;
    },
  } as S;
}
