/**
 * holdings: positions per account projected from the ledger's events, valued at current prices —
 * live from market-data, else from prices cached at most 5 minutes ago, else not valued at all.
 * Never an error because prices are missing.
 *
 * Valuation is lazy: prices are asked for when holdings are read, and the prices seen are cached
 * then (price-cache.ts). holdings does not consume PriceChanged: keeping a cache of every price
 * fresh cost a commit per price tick of every asset, held or not, read or not.
 */
import { defineService, on, type DataOf, type MessageContext } from '@simplebank/chassis';
import { accountsContract } from '@simplebank/accounts/contract';
import { marketDataContract } from '@simplebank/market-data/contract';
import { transactionsContract } from '@simplebank/transactions/contract';
import { formatMoney, formatQuantity, parseMoney, type Cents } from '@simplebank/money';
import { holdingsContract } from './contract.ts';
import { applyToPosition, cashChange, assetsOf, averageCost, quantityOf, value } from './domain/positions.ts';
import { PriceCache } from './price-cache.ts';
import * as store from './store.ts';

/** How long getHoldings waits for market-data before falling back to the cache. */
export const PRICES_TIMEOUT_MS = 300;

/** One price cache per database (a process may host holdings more than once, in tests). */
const priceCaches = new WeakMap<object, PriceCache>();
function priceCacheOf(db: object): PriceCache {
  let cache = priceCaches.get(db);
  if (!cache) priceCaches.set(db, (cache = new PriceCache()));
  return cache;
}

async function applyPosting(data: DataOf<typeof transactionsContract.events.LedgerPosted>, ctx: MessageContext): Promise<void> {
  const posting = { kind: data.kind, price: data.price, entries: data.entries };
  const cash = data.entries.some((e) => e.asset === 'USD') ? cashChange(posting) : undefined;
  if (!(await store.applyOnce(ctx.tx, data.postingId, data.accountId, cash))) {
    ctx.log.info({ postingId: data.postingId }, 'posting already applied');
    return;
  }
  for (const assetId of assetsOf(posting).sort()) {
    const position = await store.getPositionForUpdate(ctx.tx, data.accountId, assetId);
    await store.savePosition(ctx.tx, data.accountId, applyToPosition(position, posting));
  }
}

export const holdingsService = defineService({
  contract: holdingsContract,
  migrations: new URL('../migrations', import.meta.url),
  rpc: {
    async getHoldings(req, ctx) {
      // Authorization: accounts answers not_found for another customer's account (propagated as is).
      await ctx.call(accountsContract, 'getAccount', { accountId: req.accountId });
      const [cash, positions] = await Promise.all([store.getCash(ctx.db, req.accountId), store.listPositions(ctx.db, req.accountId)]);
      const assetIds = positions.map((p) => p.assetId);
      let live: Map<string, Cents> | undefined;
      if (assetIds.length > 0) {
        let quotes: Array<{ assetId: string; price: string; at: string }> = [];
        try {
          quotes = (await ctx.call(marketDataContract, 'getPrices', { assetIds }, { timeoutMs: PRICES_TIMEOUT_MS })).items;
          live = new Map(quotes.map((q) => [q.assetId, parseMoney(q.price)]));
        } catch (err) {
          ctx.log.warn({ err: (err as Error).message }, 'market-data did not answer: valuing from the price cache');
        }
        // The cache is a fallback for later reads: failing to write it does not fail this one.
        await priceCacheOf(ctx.db).remember(ctx.db, quotes).catch((err: unknown) => ctx.log.warn({ err }, 'could not cache prices'));
      } else {
        live = new Map();
      }
      const cached = live && assetIds.every((a) => live!.has(a)) ? new Map() : await store.cachedPrices(ctx.db, assetIds);
      const now = Date.now();
      const portfolio = value(cash, positions, live, cached, now);
      return {
        accountId: req.accountId,
        asOf: new Date(now).toISOString(),
        valuation: portfolio.valuation,
        cash: { available: formatMoney(cash.available), reserved: formatMoney(cash.reserved) },
        positions: portfolio.positions.map(({ position, price, value: v }) => ({
          assetId: position.assetId,
          quantity: formatQuantity(quantityOf(position)),
          reservedQuantity: formatQuantity(position.reserved),
          averageCost: formatMoney(averageCost(position)),
          ...(price !== undefined ? { price: formatMoney(price) } : {}),
          ...(v !== undefined ? { value: formatMoney(v) } : {}),
        })),
        ...(portfolio.totalValue !== undefined ? { totalValue: formatMoney(portfolio.totalValue) } : {}),
      };
    },
  },
  handlers: [
    // Only holdings' own rows: postings that arrive together share a commit.
    on(transactionsContract.events.LedgerPosted, applyPosting, { batch: true }),
  ],
});
