/**
 * The prices holdings has seen, kept for valuing portfolios when market-data does not answer (at
 * most STALE_LIMIT_MS old). Written when holdings are read, not on every price tick: one statement
 * for the prices of one read, and a price of an asset at most once per REWRITE_MS per process, since
 * a cached price only has to be fresh to within minutes.
 */
import type { Queryable } from '@simplebank/chassis';
import { parseMoney } from '@simplebank/money';
import { cachePrices } from './store.ts';

export const REWRITE_MS = 30_000;

export class PriceCache {
  /** When this process last wrote each asset's price. */
  private readonly written = new Map<string, number>();

  async remember(
    db: Queryable,
    quotes: ReadonlyArray<{ assetId: string; price: string; at: string }>,
    now = Date.now(),
  ): Promise<void> {
    const fresh = quotes.filter((q) => now - (this.written.get(q.assetId) ?? -Infinity) >= REWRITE_MS);
    if (fresh.length === 0) return;
    await cachePrices(
      db,
      fresh.map((q) => ({ assetId: q.assetId, price: parseMoney(q.price), quotedAt: q.at })),
    );
    for (const q of fresh) this.written.set(q.assetId, now);
  }
}
