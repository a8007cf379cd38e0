/**
 * Pagination cursors over a bigint sequence (`seq`): opaque base64url text of `<prefix><seq>`. One
 * codec for every list, so every list refuses a bad cursor the same way — 400 validation_failed,
 * including one whose number would not fit PostgreSQL's bigint (which would otherwise be a 500).
 */
import { ValidationError } from '../errors.ts';

const MAX_BIGINT = 2n ** 63n - 1n;

export interface SeqCursor {
  encode(seq: string | bigint): string;
  /** The sequence number of a cursor this codec made; anything else is a ValidationError. */
  decode(cursor: string): bigint;
}

export function seqCursor(prefix = ''): SeqCursor {
  const invalid = () => new ValidationError('Invalid cursor', [{ path: '/cursor', message: 'not a cursor of this list' }]);
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
