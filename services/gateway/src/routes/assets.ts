/** Market data: GET /v1/assets, /v1/assets/{assetId}, /v1/assets/{assetId}/prices, /v1/prices. */
import { T, type Static } from '@simplebank/chassis';
import { MAX_HISTORY_POINTS, marketDataContract } from '@simplebank/market-data/contract';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { problems } from '../http/openapi.ts';
import { pageOf } from '../http/pagination.ts';
import { HttpProblem } from '../http/problem.ts';
import { callFor } from '../http/request-context.ts';
import { Asset, AssetType, DateTime, Id, Page, PageQuery, PriceString, Quote, Strict } from '../http/schemas.ts';
import { bearer, type Deps } from './deps.ts';

const AssetQuery = T.Object(
  {
    q: T.Optional(T.String({ maxLength: 100, description: 'Matches ticker or name, case-insensitive' })),
    type: T.Optional(AssetType),
    ...PageQuery,
  },
  Strict,
);
const AssetParams = T.Object({ assetId: Id }, Strict);
const HistoryQuery = T.Object(
  {
    from: T.Optional(
      T.String({
        format: 'date-time',
        description: 'Start of the period (default: an hour before `to`); at most 366 days before `to`',
      }),
    ),
    to: T.Optional(T.String({ format: 'date-time', description: 'End of the period (default: now)' })),
  },
  Strict,
);
const PriceHistory = T.Object({
  assetId: T.String(),
  from: DateTime,
  to: DateTime,
  points: T.Array(T.Object({ at: DateTime, price: PriceString }), {
    maxItems: MAX_HISTORY_POINTS,
    description: `Oldest first; at most ${MAX_HISTORY_POINTS}: the period is cut into equal spans and each span with a published price gives its last one`,
  }),
});
const MAX_PERIOD_MS = 366 * 24 * 3_600_000;

/** The period's bounds in order and at most 366 days apart, said against the query's fields. */
function checkPeriod(query: Static<typeof HistoryQuery>): void {
  const to = query.to ? Date.parse(query.to) : Date.now();
  const from = query.from ? Date.parse(query.from) : to - 3_600_000;
  if (from >= to)
    throw new HttpProblem(400, 'validation_failed', '`from` must be before `to`', {}, [
      { path: 'query/from', message: 'must be before to' },
    ]);
  if (to - from > MAX_PERIOD_MS)
    throw new HttpProblem(400, 'validation_failed', 'A price history covers at most 366 days', {}, [
      { path: 'query/from', message: 'at most 366 days before to' },
    ]);
}

export async function assetRoutes(instance: FastifyInstance, deps: Deps): Promise<void> {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  const { ctx } = deps;
  const tags = ['market data'];
  app.get(
    '/assets',
    {
      ...deps.authed,
      schema: {
        tags,
        summary: 'Search instruments',
        security: bearer,
        querystring: AssetQuery,
        response: { 200: Page(Asset), ...problems(401) },
      },
    },
    async (request) => {
      const { q, type } = request.query;
      return callFor(ctx, request)(marketDataContract, 'searchAssets', {
        ...(q ? { q } : {}),
        ...(type ? { type } : {}),
        ...pageOf(request.query),
      });
    },
  );
  app.get(
    '/assets/:assetId',
    {
      ...deps.authed,
      schema: {
        tags,
        summary: 'An instrument with its current price',
        security: bearer,
        params: AssetParams,
        response: { 200: Asset, ...problems(401, 404) },
      },
    },
    async (request) => callFor(ctx, request)(marketDataContract, 'getAsset', { assetId: request.params.assetId }),
  );
  app.get(
    '/assets/:assetId/prices',
    {
      ...deps.authed,
      schema: {
        tags,
        summary: "An instrument's price history: the prices published in a period, downsampled for a chart",
        security: bearer,
        params: AssetParams,
        querystring: HistoryQuery,
        response: { 200: PriceHistory, ...problems(400, 401, 404) },
      },
    },
    async (request) => {
      checkPeriod(request.query);
      const { from, to } = request.query;
      return callFor(ctx, request)(marketDataContract, 'getPriceHistory', {
        assetId: request.params.assetId,
        ...(from ? { from } : {}),
        ...(to ? { to } : {}),
      });
    },
  );
  app.get(
    '/prices',
    {
      ...deps.authed,
      schema: {
        tags,
        summary: 'Current prices of every instrument',
        security: bearer,
        response: { 200: T.Object({ items: T.Array(Quote) }), ...problems(401) },
      },
    },
    async (request) => callFor(ctx, request)(marketDataContract, 'getPrices', {}),
  );
}
