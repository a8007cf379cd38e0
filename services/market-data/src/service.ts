/** market-data: instruments and their prices (a seeded random walk; admins can pin a price). */
import {
  ForbiddenError,
  NotFoundError,
  ValidationError,
  defineService,
  keyCursor,
  type Identity,
} from '@simplebank/chassis';
import { MAX_PRICE_CENTS, formatMoney, parseMoney } from '@simplebank/money';
import { MAX_HISTORY_POINTS, marketDataContract } from './contract.ts';
import { MIN_PRICE_CENTS } from './domain/walk.ts';
import { currentPrices, feedOf, priceFeed } from './price-feed.ts';
import { marketDataSettings } from './settings.ts';
import { getAsset, listPrices, priceHistory, publishPrice, searchAssets, setPrice, toAsset } from './store.ts';

export { marketDataSettings } from './settings.ts';

function requireAdmin(identity: Identity | undefined): void {
  if (identity?.role !== 'admin' && identity?.role !== 'system')
    throw new ForbiddenError('Only an admin can pin or release a price');
}

const HOUR_MS = 3_600_000;
/** The longest period one history covers: a year (a leap one), so one read stays an index range scan of bounded size. */
const MAX_HISTORY_MS = 366 * 24 * HOUR_MS;

/** The period asked for (default: the hour up to now), refused when empty, reversed or too long. */
function historyPeriod(req: { from?: string; to?: string }): { from: Date; to: Date } {
  const to = req.to ? new Date(req.to) : new Date();
  const from = req.from ? new Date(req.from) : new Date(to.getTime() - HOUR_MS);
  if (!(from.getTime() < to.getTime()))
    throw new ValidationError('`from` must be before `to`', [{ path: '/from', message: 'must be before to' }]);
  if (to.getTime() - from.getTime() > MAX_HISTORY_MS)
    throw new ValidationError('A price history covers at most 366 days', [
      { path: '/from', message: 'at most 366 days before to' },
    ]);
  return { from, to };
}

/** A page of assets ends at a ticker (no NUL or control character: it would reach PostgreSQL). */
const assetsCursor = keyCursor();

export const marketDataService = defineService({
  contract: marketDataContract,
  migrations: new URL('../migrations', import.meta.url),
  settings: [marketDataSettings],
  rpc: {
    async getAsset(req, ctx) {
      await currentPrices(ctx);
      const row = await getAsset(ctx.db, req.assetId);
      if (!row) throw new NotFoundError(`No asset ${req.assetId}`);
      return toAsset(row);
    },
    async searchAssets(req, ctx) {
      const limit = req.limit ?? 50;
      const q = req.q?.trim();
      await currentPrices(ctx);
      const rows = await searchAssets(ctx.db, {
        ...(q ? { q } : {}),
        ...(req.type ? { type: req.type } : {}),
        ...(req.cursor ? { after: assetsCursor.decode(req.cursor) } : {}),
        limit: limit + 1,
      });
      const items = rows.slice(0, limit).map(toAsset);
      return { items, nextCursor: rows.length > limit ? assetsCursor.encode(items[items.length - 1]!.id) : null };
    },
    async getAssets(req, ctx) {
      await currentPrices(ctx);
      if (req.assetIds.length === 0) return { items: [] };
      return { items: (await listPrices(ctx.db, req.assetIds)).map(toAsset) };
    },
    async getPrices(req, ctx) {
      await currentPrices(ctx);
      const rows = await listPrices(ctx.db, req.assetIds);
      return { items: rows.map((r) => ({ assetId: r.id, price: toAsset(r).price, at: r.updated_at.toISOString() })) };
    },
    async getPriceHistory(req, ctx) {
      const { from, to } = historyPeriod(req);
      await currentPrices(ctx);
      if (!(await getAsset(ctx.db, req.assetId))) throw new NotFoundError(`No asset ${req.assetId}`);
      const rows = await priceHistory(ctx.db, req.assetId, from, to, req.maxPoints ?? MAX_HISTORY_POINTS);
      return {
        assetId: req.assetId,
        from: from.toISOString(),
        to: to.toISOString(),
        points: rows.map((r) => ({ at: r.at.toISOString(), price: formatMoney(BigInt(r.price_cents)) })),
      };
    },
    async pinPrice(req, ctx) {
      requireAdmin(ctx.identity);
      const cents = parseMoney(req.price);
      if (cents < MIN_PRICE_CENTS)
        throw new ValidationError('A price is at least 0.01', [{ path: '/price', message: 'must be at least 0.01' }]);
      // The limit on prices (docs/limits.md): the gateway refuses more at the door; this is the rule's owner.
      if (cents > MAX_PRICE_CENTS)
        throw new ValidationError(`A price is at most ${formatMoney(MAX_PRICE_CENTS)}`, [
          { path: '/price', message: `must be at most ${formatMoney(MAX_PRICE_CENTS)} (the limit on prices)` },
        ]);
      return ctx.transaction(async (tx) => {
        await feedOf(ctx)?.applyIn(tx);
        const row = await setPrice(tx, req.assetId, cents, true);
        if (!row) throw new NotFoundError(`No asset ${req.assetId}`);
        await publishPrice(tx, row.id, cents);
        return toAsset(row);
      });
    },
    async unpinPrice(req, ctx) {
      requireAdmin(ctx.identity);
      return ctx.transaction(async (tx) => {
        await feedOf(ctx)?.applyIn(tx);
        const row = await setPrice(tx, req.assetId, null, false);
        if (!row) throw new NotFoundError(`No asset ${req.assetId}`);
        return toAsset(row);
      });
    },
  },
  workers: [priceFeed],
});
