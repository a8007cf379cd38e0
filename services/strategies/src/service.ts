/** strategies: investment strategies, named allocations of assets summing to 100% (listings 4.1, 4.2). */
import { randomUUID } from 'node:crypto';
import {
  AppError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
  defineService,
  seqCursor,
  type RpcContext,
} from '@simplebank/chassis';
import { marketDataContract } from '@simplebank/market-data/contract';
import { strategiesContract } from './contract.ts';
import { checkStrategy, formatPercentage, type Allocation } from './domain/allocations.ts';
import * as store from './store.ts';

const DEFAULT_PAGE_SIZE = 50;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Pages of strategies, newest first. */
const cursor = seqCursor();

const allocationsOf = (allocations: readonly Allocation[]) =>
  allocations.map((a) => ({ assetId: a.assetId, percentage: formatPercentage(a.hundredths) }));

function toStrategy(row: store.StrategyRow) {
  return {
    id: row.id,
    name: row.name,
    assets: allocationsOf(row.allocations),
    createdById: row.createdById,
    createdAt: row.createdAt.toISOString(),
  };
}

/**
 * Every asset must be one market-data knows, asked in one call. An unknown one is a field error of
 * the request (400), like any other malformed allocation: the strategy cannot exist without it.
 */
async function requireKnownAssets(ctx: RpcContext, assetIds: string[]): Promise<void> {
  const { items } = await ctx.call(marketDataContract, 'getPrices', { assetIds });
  const known = new Set(items.map((q) => q.assetId));
  const errors = assetIds.flatMap((id, i) =>
    known.has(id) ? [] : [{ path: `/assets/${i}/assetId`, message: `no asset ${id}` }],
  );
  if (errors.length > 0)
    throw new ValidationError(
      `Unknown asset${errors.length > 1 ? 's' : ''}: ${assetIds.filter((id) => !known.has(id)).join(', ')}`,
      errors,
    );
}

export const strategiesService = defineService({
  contract: strategiesContract,
  migrations: new URL('../migrations', import.meta.url),
  rpc: {
    async createStrategy(req, ctx) {
      const identity = ctx.identity;
      if (!identity || (identity.role !== 'admin' && identity.role !== 'system'))
        throw new ForbiddenError('Only an admin can create a strategy');
      const checked = checkStrategy(req);
      if (checked.kind === 'invalid') throw new ValidationError('The strategy is not valid', checked.errors);
      await requireKnownAssets(
        ctx,
        req.assets.map((a) => a.assetId),
      );
      if (checked.kind === 'sum_not_100') {
        const sum = formatPercentage(checked.sum);
        throw new AppError('allocations_must_sum_to_100', `The percentages sum to ${sum}, not 100`, {
          status: 422,
          errors: [{ path: '/assets', message: `percentages sum to ${sum}; they must sum to exactly 100` }],
        });
      }
      const created = await ctx.transaction(async (tx) => {
        const row = await store.insertStrategy(tx, {
          id: randomUUID(),
          name: checked.name,
          createdById: identity.customerId,
          allocations: checked.allocations,
        });
        const strategy = toStrategy(row);
        await tx.publish(
          strategiesContract.events.StrategyCreated,
          {
            strategyId: strategy.id,
            name: strategy.name,
            assets: strategy.assets,
            createdById: strategy.createdById,
            createdAt: strategy.createdAt,
          },
          { key: strategy.id },
        );
        tx.afterCommit(() =>
          ctx.metrics
            .counter('simplebank_strategies_created_total', 'Strategies created', ['service'])
            .inc({ service: ctx.service }),
        );
        return strategy;
      });
      ctx.log.info({ strategyId: created.id, assets: created.assets.length }, 'strategy created');
      return created;
    },

    async getStrategy(req, ctx) {
      const row = UUID.test(req.strategyId) ? await store.findStrategy(ctx.db, req.strategyId) : undefined;
      if (!row) throw new NotFoundError(`Strategy ${req.strategyId} not found`);
      return toStrategy(row);
    },

    async getStrategies(req, ctx) {
      const found = new Map(
        (
          await store.findStrategies(
            ctx.db,
            req.strategyIds.filter((id) => UUID.test(id)),
          )
        ).map((r) => [r.id, r]),
      );
      return {
        items: req.strategyIds.map((id) => {
          const row = found.get(id);
          return row ? toStrategy(row) : null;
        }),
      };
    },

    async listStrategies(req, ctx) {
      const limit = req.limit ?? DEFAULT_PAGE_SIZE;
      const rows = await store.listStrategies(ctx.db, {
        ...(req.cursor !== undefined ? { beforeSeq: cursor.decode(req.cursor) } : {}),
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      const nextCursor = rows.length > limit ? cursor.encode(page[page.length - 1]!.seq) : null;
      return { items: page.map(toStrategy), nextCursor };
    },
  },
});
