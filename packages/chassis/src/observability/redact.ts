/**
 * Redaction of secrets and personal data from anything logged, whatever the caller passes: by key
 * (password, token, authorization, card number, email…) and by value (e-mail addresses, card-like
 * digit runs, JWTs and bearer tokens inside any string, the message included).
 */
/** Keys whose values are secret or personal, matched as whole words of a key (so `spanId` is not `pan`). */
const SECRET_KEYS =
  /(^|[^a-z])(pass(word|wd|phrase)?|secrets?|(access|refresh|id|api|bearer)?tokens?|authori[sz]ation|cookies?|api[-_]?keys?|cards?|card[-_]?numbers?|pan|cvv|cvc|e-?mails?|signatures?|credentials?)([^a-z]|$)/i;

/** camelCase → camel_case, so that word boundaries show: `refreshToken` → `refresh_token`. */
function words(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2');
}
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const CARD = /\b(?:\d[ -]?){12,18}\d\b/g;
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
const URL_CREDENTIALS = /(\w+:\/\/)[^/\s:@]+:[^/\s@]+@/g;

export const REDACTED = '[redacted]';

export function redactString(s: string): string {
  if (s.length < 6) return s;
  return s
    .replace(URL_CREDENTIALS, `$1${REDACTED}@`)
    .replace(BEARER, `$1 ${REDACTED}`)
    .replace(JWT, REDACTED)
    .replace(EMAIL, REDACTED)
    .replace(CARD, REDACTED);
}

/** A copy of `value` with secrets replaced. Depth-limited; cycles are cut. */
export function redact(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8) return '[depth]';
  if (seen.has(value)) return '[cycle]';
  seen.add(value);
  if (value instanceof Error) {
    const out: Record<string, unknown> = { type: value.name, message: redactString(value.message) };
    if (value.stack) out.stack = redactString(value.stack.split('\n').slice(0, 8).join(' | '));
    const code = (value as { code?: unknown }).code;
    if (code !== undefined) out.code = code;
    return out;
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] =
      SECRET_KEYS.test(words(k)) && v !== null && v !== undefined && typeof v !== 'boolean' && typeof v !== 'object'
        ? REDACTED
        : redact(v, depth + 1, seen);
  }
  return out;
}
