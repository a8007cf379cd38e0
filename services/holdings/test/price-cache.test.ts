import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Queryable } from '@simplebank/chassis';
import { PriceCache, REWRITE_MS } from '../src/price-cache.ts';

/** Records each statement's asset ids. */
function recorder() {
  const writes: string[][] = [];
  const db = {
    query: async (_sql: string, params?: readonly unknown[]) => (
      writes.push(params![0] as string[]), { rows: [], rowCount: 0 }
    ),
  } as unknown as Queryable;
  return { db, writes };
}
const quote = (assetId: string, price = '10.00') => ({ assetId, price, at: new Date().toISOString() });

describe('the price cache', () => {
  it('writes the prices of one read in one statement, and an asset again only after REWRITE_MS', async () => {
    const { db, writes } = recorder();
    const cache = new PriceCache();
    await cache.remember(db, [quote('AAPL'), quote('MSFT')], 1_000_000);
    await cache.remember(db, [quote('AAPL', '11.00'), quote('VOD')], 1_000_000 + 1);
    await cache.remember(db, [quote('AAPL'), quote('MSFT')], 1_000_000 + REWRITE_MS - 1);
    await cache.remember(db, [quote('AAPL'), quote('MSFT'), quote('VOD')], 1_000_000 + REWRITE_MS);
    await cache.remember(db, [], 1_000_000 + 10 * REWRITE_MS);
    assert.deepEqual(writes, [['AAPL', 'MSFT'], ['VOD'], ['AAPL', 'MSFT']]);
  });

  it('a failed write is tried again by the next read', async () => {
    let fail = true;
    const writes: string[][] = [];
    const db = {
      query: async (_sql: string, params?: readonly unknown[]) => {
        if (fail) throw new Error('database down');
        writes.push(params![0] as string[]);
        return { rows: [], rowCount: 1 };
      },
    } as unknown as Queryable;
    const cache = new PriceCache();
    await assert.rejects(cache.remember(db, [quote('AAPL')], 5));
    fail = false;
    await cache.remember(db, [quote('AAPL')], 6);
    assert.deepEqual(writes, [['AAPL']]);
  });
});
