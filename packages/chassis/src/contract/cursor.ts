/**
 * Pagination cursors: opaque base64url text, over a bigint sequence (`seqCursor`) or a text key
 * (`keyCursor`). One module for every list, so every list refuses a bad cursor the same way — 400
 * validation_failed, including one whose number would not fit PostgreSQL's bigint or whose text
 * holds a NUL (either would otherwise be a 500 from PostgreSQL).
 */
import { ValidationError } from '../errors.ts';

const MAX_BIGINT = 2n ** 63n - 1n;

export interface SeqCursor {
  encode(seq: string | bigint): string;
  /** The sequence number of a cursor this codec made; anything else is a ValidationError. */
  decode(cursor: string): bigint;
}

const invalid = () =>
  new ValidationError('Invalid cursor', [{ path: '/cursor', message: 'not a cursor of this list' }]);

export function seqCursor(prefix = ''): SeqCursor {
  return {
    encode: (seq) => Buffer.from(`${prefix}${seq}`, 'utf8').toString('base64url'),
    decode(cursor) {
      const text = Buffer.from(cursor, 'base64url').toString('utf8');
      if (!text.startsWith(prefix)) throw invalid();
      const digits = text.slice(prefix.length);
      if (!/^\d{1,19}$/.test(digits)) throw invalid();
      const seq = BigInt(digits);
      if (seq > MAX_BIGINT) throw invalid();
      return seq;
    },
  };
}

export interface KeyCursor {
  encode(key: string): string;
  /** The key of a cursor this codec made; anything else is a ValidationError. */
  decode(cursor: string): string;
}

/** Cursors over a text key (e.g. a ticker): the key must round-trip and hold no control character. */
export function keyCursor(): KeyCursor {
  const encode = (key: string) => Buffer.from(key, 'utf8').toString('base64url');
  return {
    encode,
    decode(cursor) {
      const key = Buffer.from(cursor, 'base64url').toString('utf8');
      if (!key || /[\u0000-\u001f]/.test(key) || encode(key) !== cursor) throw invalid();
      return key;
    },
  };
}
