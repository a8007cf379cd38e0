/** Market data: GET /v1/assets, /v1/assets/{assetId}, /v1/prices. */
import { T, type Static } from '@simplebank/chassis';
import { marketDataContract } from '@simplebank/market-data/contract';
import type { FastifyInstance } from 'fastify';
import { problems } from '../http/openapi.ts';
import { pageOf } from '../http/pagination.ts';
import { callFor } from '../http/request-context.ts';
import { Asset, AssetType, Id, Page, PageQuery, Quote, Strict } from '../http/schemas.ts';
import { bearer, type Deps } from './deps.ts';

const AssetQuery = T.Object({ q: T.Optional(T.String({ maxLength: 100, description: 'Matches ticker or name, case-insensitive' })), type: T.Optional(AssetType), ...PageQuery }, Strict);
const AssetParams = T.Object({ assetId: Id }, Strict);

export async function assetRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  const { ctx } = deps;
  const tags = ['market data'];
  app.get<{ Querystring: Static<typeof AssetQuery> }>(
    '/assets',
    { ...deps.authed, schema: { tags, summary: 'Search instruments', security: bearer, querystring: AssetQuery, response: { 200: Page(Asset), ...problems(401) } } },
    async (request) => {
      const { q, type } = request.query;
      return callFor(ctx, request)(marketDataContract, 'searchAssets', { ...(q ? { q } : {}), ...(type ? { type } : {}), ...pageOf(request.query) });
    },
  );
  app.get<{ Params: Static<typeof AssetParams> }>(
    '/assets/:assetId',
    { ...deps.authed, schema: { tags, summary: 'An instrument with its current price', security: bearer, params: AssetParams, response: { 200: Asset, ...problems(401, 404) } } },
    async (request) => callFor(ctx, request)(marketDataContract, 'getAsset', { assetId: request.params.assetId }),
  );
  app.get(
    '/prices',
    { ...deps.authed, schema: { tags, summary: 'Current prices of every instrument', security: bearer, response: { 200: T.Object({ items: T.Array(Quote) }), ...problems(401) } } },
    async (request) => callFor(ctx, request)(marketDataContract, 'getPrices', {}),
  );
}
