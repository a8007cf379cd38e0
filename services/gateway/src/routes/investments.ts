/**
 * Investments in a strategy (strategy-orders): a customer invests an amount into one of their
 * accounts (POST /v1/strategies/{strategyId}/investments, 202: paid, then bought asynchronously)
 * and reads their investments. The destination account is checked as every /accounts/{accountId}
 * route's is: the caller's own, or 404, before the body is validated.
 */
import { T } from '@simplebank/chassis';
import { strategyOrdersContract } from '@simplebank/strategy-orders/contract';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ownAccount, who } from '../http/auth.ts';
import { IdempotencyHeaders, idempotencyKeyFor } from '../http/idempotency.ts';
import { problems } from '../http/openapi.ts';
import { pageOf } from '../http/pagination.ts';
import { HttpProblem } from '../http/problem.ts';
import { callFor } from '../http/request-context.ts';
import { Id, Investment, Page, PageQuery, PaymentMethod, PositiveAmount, Strict } from '../http/schemas.ts';
import { bearer, type Deps } from './deps.ts';

const InvestBody = T.Object(
  {
    destinationAccountId: Id,
    amount: PositiveAmount,
    method: PaymentMethod,
    card: T.Optional(
      T.Object(
        { number: T.String({ pattern: '^\\d{16}$', description: '16 digits; 4000000000000002 is always declined' }) },
        Strict,
      ),
    ),
  },
  {
    ...Strict,
    description:
      'One of your accounts; the amount is paid into it as a deposit (`card` required with method `card`, refused with `bank_transfer`), then one buy per allocation of the strategy is placed, ' +
      'each within its share (amount × percentage, rounded down to the cent); what is not spent stays as cash in the account.',
  },
);
const StrategyParams = T.Object({ strategyId: Id }, Strict);
const InvestmentParams = T.Object({ investmentId: Id }, Strict);
const PageQuerySchema = T.Object({ ...PageQuery }, Strict);

/** The destination account named in the body (read before validation: anything but an id is left to it). */
const destinationOf = (request: FastifyRequest) =>
  (request.body as { destinationAccountId?: unknown } | null | undefined)?.destinationAccountId;

export async function investmentRoutes(instance: FastifyInstance, deps: Deps): Promise<void> {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  const { ctx } = deps;
  const tags = ['investments'];
  const ownDestination = {
    preValidation: [...deps.authed.preValidation, ownAccount(ctx, destinationOf)],
    preHandler: deps.authed.preHandler,
  };

  app.post(
    '/strategies/:strategyId/investments',
    {
      ...ownDestination,
      schema: {
        tags: [...tags, 'strategies'],
        summary: 'Invest an amount in a strategy (asynchronous)',
        security: bearer,
        params: StrategyParams,
        headers: IdempotencyHeaders,
        body: InvestBody,
        response: { 202: Investment, ...problems(401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const { destinationAccountId, amount, method, card } = request.body;
      if (method === 'card' && !card)
        throw new HttpProblem(400, 'validation_failed', 'A card payment needs the card', {}, [
          { path: 'body/card', message: 'Required with method card' },
        ]);
      if (method !== 'card' && card)
        throw new HttpProblem(400, 'validation_failed', 'Only a card payment takes a card', {}, [
          { path: 'body/card', message: 'Only with method card' },
        ]);
      const idempotencyKey = idempotencyKeyFor(request, who(request).customerId);
      const investment = await callFor(ctx, request)(
        strategyOrdersContract,
        'invest',
        { strategyId: request.params.strategyId, destinationAccountId, amount, method, ...(card ? { card } : {}) },
        { idempotencyKey },
      );
      reply.code(202).header('Location', `/v1/investments/${encodeURIComponent(investment.id)}`);
      return investment;
    },
  );
  app.get(
    '/investments',
    {
      ...deps.authed,
      schema: {
        tags,
        summary: 'Your investments, newest first',
        security: bearer,
        querystring: PageQuerySchema,
        response: { 200: Page(Investment), ...problems(401) },
      },
    },
    async (request) => callFor(ctx, request)(strategyOrdersContract, 'listInvestments', pageOf(request.query)),
  );
  app.get(
    '/investments/:investmentId',
    {
      ...deps.authed,
      schema: {
        tags,
        summary: 'An investment: its payment, its orders and its totals',
        security: bearer,
        params: InvestmentParams,
        response: { 200: Investment, ...problems(401, 404) },
      },
    },
    async (request) =>
      callFor(ctx, request)(strategyOrdersContract, 'getInvestment', { investmentId: request.params.investmentId }),
  );
}
