/**
 * holdings: positions per account projected from the ledger's events, valued at current prices —
 * live from market-data, else from prices cached at most 5 minutes ago, else not valued at all.
 * Never an error because prices are missing.
 */
import { defineService, on, type DataOf, type MessageContext } from '@simplebank/chassis';
import { accountsContract } from '@simplebank/accounts/contract';
import { marketDataContract } from '@simplebank/market-data/contract';
import { transactionsContract } from '@simplebank/transactions/contract';
import { formatMoney, formatQuantity, parseMoney, type Cents } from '@simplebank/money';
import { holdingsContract } from './contract.ts';
import { applyToCash, applyToPosition, assetsOf, averageCost, quantityOf, value } from './domain/positions.ts';
import * as store from './store.ts';

/** How long getHoldings waits for market-data before falling back to the cache. */
export const PRICES_TIMEOUT_MS = 300;

async function applyPosting(data: DataOf<typeof transactionsContract.events.LedgerPosted>, ctx: MessageContext): Promise<void> {
  if (!(await store.markApplied(ctx.tx, data.postingId, data.accountId))) {
    ctx.log.info({ postingId: data.postingId }, 'posting already applied');
    return;
  }
  const posting = { kind: data.kind, price: data.price, entries: data.entries };
  if (data.entries.some((e) => e.asset === 'USD')) {
    const cash = await store.getCash(ctx.tx, data.accountId, true);
    await store.saveCash(ctx.tx, data.accountId, applyToCash(cash, posting));
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
        try {
          const answer = await ctx.call(marketDataContract, 'getPrices', { assetIds }, { timeoutMs: PRICES_TIMEOUT_MS });
          live = new Map(answer.items.map((q) => [q.assetId, parseMoney(q.price)]));
          for (const q of answer.items) await store.cachePrice(ctx.db, q.assetId, parseMoney(q.price), q.at);
        } catch (err) {
          ctx.log.warn({ err: (err as Error).message }, 'market-data did not answer: valuing from the price cache');
        }
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
    on(transactionsContract.events.LedgerPosted, applyPosting),
    on(marketDataContract.events.PriceChanged, async (data, ctx) => {
      await store.cachePrice(ctx.tx, data.assetId, parseMoney(data.price), data.at);
    }),
  ],
});
