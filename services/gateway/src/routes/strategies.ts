/**
 * Investment strategies: any customer lists and reads them; an admin creates one
 * (POST /v1/admin/strategies, with the admin guard).
 */
import { T } from '@simplebank/chassis';
import { MAX_ALLOCATIONS, MAX_NAME_LENGTH, PercentageInput, strategiesContract } from '@simplebank/strategies/contract';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { who } from '../http/auth.ts';
import { IdempotencyHeaders, idempotencyKeyFor } from '../http/idempotency.ts';
import { problems } from '../http/openapi.ts';
import { pageOf } from '../http/pagination.ts';
import { callFor } from '../http/request-context.ts';
import { Id, Page, PageQuery, Strategy, Strict } from '../http/schemas.ts';
import { bearer, type Deps } from './deps.ts';

const CreateStrategyBody = T.Object(
  {
    name: T.String({ minLength: 1, maxLength: MAX_NAME_LENGTH }),
    assets: T.Array(T.Object({ assetId: Id, percentage: PercentageInput }, Strict), {
      minItems: 1,
      maxItems: MAX_ALLOCATIONS,
    }),
  },
  {
    ...Strict,
    description:
      'Every asset known (GET /v1/assets) and listed once, each percentage > 0 with at most two decimals (400 validation_failed, a field error per problem); ' +
      'the percentages summing to exactly 100, else 422 `allocations_must_sum_to_100`.',
  },
);
const StrategyParams = T.Object({ strategyId: Id }, Strict);
const PageQuerySchema = T.Object({ ...PageQuery }, Strict);

export async function strategyRoutes(instance: FastifyInstance, deps: Deps): Promise<void> {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  const { ctx } = deps;
  const tags = ['strategies'];
  app.post(
    '/admin/strategies',
    {
      ...deps.admin,
      schema: {
        tags: [...tags, 'admin'],
        summary: 'Create an investment strategy',
        security: bearer,
        headers: IdempotencyHeaders,
        body: CreateStrategyBody,
        response: { 201: Strategy, ...problems(401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const idempotencyKey = idempotencyKeyFor(request, who(request).customerId);
      const strategy = await callFor(ctx, request)(strategiesContract, 'createStrategy', request.body, {
        idempotencyKey,
      });
      reply.code(201).header('Location', `/v1/strategies/${encodeURIComponent(strategy.id)}`);
      return strategy;
    },
  );
  app.get(
    '/strategies',
    {
      ...deps.authed,
      schema: {
        tags,
        summary: 'Investment strategies, newest first',
        security: bearer,
        querystring: PageQuerySchema,
        response: { 200: Page(Strategy), ...problems(401) },
      },
    },
    async (request) => callFor(ctx, request)(strategiesContract, 'listStrategies', pageOf(request.query)),
  );
  app.get(
    '/strategies/:strategyId',
    {
      ...deps.authed,
      schema: {
        tags,
        summary: 'An investment strategy',
        security: bearer,
        params: StrategyParams,
        response: { 200: Strategy, ...problems(401, 404) },
      },
    },
    async (request) =>
      callFor(ctx, request)(strategiesContract, 'getStrategy', { strategyId: request.params.strategyId }),
  );
}
