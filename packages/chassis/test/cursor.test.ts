import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError, keyCursor, seqCursor } from '../src/index.ts';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

describe('pagination cursors', () => {
  it('a sequence cursor round-trips, and refuses another list’s, garbage, and numbers past bigint', () => {
    const accounts = seqCursor('a:');
    assert.equal(accounts.decode(accounts.encode(42n)), 42n);
    assert.equal(accounts.decode(accounts.encode('9223372036854775807')), 2n ** 63n - 1n);
    for (const bad of [
      'garbage',
      b64('a:1; DROP'),
      b64('b:42'),
      b64('a:9999999999999999999'),
      b64('a:'),
      '',
      b64('a:-1'),
    ]) {
      assert.throws(() => accounts.decode(bad), ValidationError, `refuses ${JSON.stringify(bad)}`);
    }
  });

  it('a key cursor round-trips, and refuses control characters and text that does not round-trip', () => {
    const assets = keyCursor();
    assert.equal(assets.decode(assets.encode('AAPL')), 'AAPL');
    for (const bad of [b64('AA\u0000PL'), 'AA', '', `${assets.encode('AAPL')}=`]) {
      assert.throws(() => assets.decode(bad), ValidationError, `refuses ${JSON.stringify(bad)}`);
    }
  });
});
