/**
 * Accounts' holdings valued at current prices: the cash and positions of every account asked in one
 * query each, and one price lookup for all their assets — live from market-data (within
 * PRICES_TIMEOUT_MS), else from prices cached at most 5 minutes ago, else not valued at all.
 * Authorization is the caller's (service.ts): these are accounts it may see.
 */
import type { BaseContext } from '@simplebank/chassis';
import { marketDataContract } from '@simplebank/market-data/contract';
import { formatMoney, formatQuantity, parseMoney, type Cents } from '@simplebank/money';
import type { Holdings } from './contract.ts';
import { averageCost, quantityOf, value } from './domain/positions.ts';
import { PriceCache } from './price-cache.ts';
import * as store from './store.ts';

/** How long a read of holdings waits for market-data before falling back to the cache. */
export const PRICES_TIMEOUT_MS = 300;

/** One price cache per database (a process may host holdings more than once, in tests). */
const priceCaches = new WeakMap<object, PriceCache>();
function priceCacheOf(db: object): PriceCache {
  let cache = priceCaches.get(db);
  if (!cache) priceCaches.set(db, (cache = new PriceCache()));
  return cache;
}

/** Live prices of `assetIds`, or undefined when market-data did not answer in time; the ones seen are cached. */
async function livePrices(ctx: BaseContext, assetIds: string[]): Promise<Map<string, Cents> | undefined> {
  if (assetIds.length === 0) return new Map();
  let quotes: Array<{ assetId: string; price: string; at: string }> = [];
  let live: Map<string, Cents> | undefined;
  try {
    quotes = (await ctx.call(marketDataContract, 'getPrices', { assetIds }, { timeoutMs: PRICES_TIMEOUT_MS })).items;
    live = new Map(quotes.map((q) => [q.assetId, parseMoney(q.price)]));
  } catch (err) {
    ctx.log.warn({ err: (err as Error).message }, 'market-data did not answer: valuing from the price cache');
  }
  // The cache is a fallback for later reads: failing to write it does not fail this one.
  await priceCacheOf(ctx.db)
    .remember(ctx.db, quotes)
    .catch((err: unknown) => ctx.log.warn({ err }, 'could not cache prices'));
  return live;
}

/** The holdings of `accountIds`, in that order. */
export async function valueAccounts(ctx: BaseContext, accountIds: readonly string[]): Promise<Holdings[]> {
  const [cashOf, positionsOf] = await Promise.all([
    store.getCashOf(ctx.db, accountIds),
    store.listPositionsOf(ctx.db, accountIds),
  ]);
  const assetIds = [...new Set([...positionsOf.values()].flat().map((p) => p.assetId))].sort();
  const live = await livePrices(ctx, assetIds);
  const cached = live && assetIds.every((a) => live.has(a)) ? new Map() : await store.cachedPrices(ctx.db, assetIds);
  const now = Date.now();
  return accountIds.map((accountId) => {
    const cash = cashOf.get(accountId)!;
    const portfolio = value(cash, positionsOf.get(accountId)!, live, cached, now);
    return {
      accountId,
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
  });
}
