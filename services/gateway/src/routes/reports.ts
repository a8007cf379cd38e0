/**
 * Reports (reporting's read models, built from events; decision 25): the order history (the
 * caller's own; an admin's anyone's, or one customer's), the fee income report (admins only) and
 * an account's statement (the `ownAccount` guard: another customer's account is 404, before the
 * query is validated). Every answer says how current it is in `X-Data-As-Of`.
 */
import { T } from '@simplebank/chassis';
import { reportingContract } from '@simplebank/reporting/contract';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { refuseBody } from '../http/no-body.ts';
import { problems } from '../http/openapi.ts';
import { pageOf } from '../http/pagination.ts';
import { callFor, stateOf } from '../http/request-context.ts';
import {
  FeeReport,
  Id,
  OrderReportItem,
  OrderStatus,
  Page,
  PageQuery,
  ReportInstant,
  Statement,
  Strict,
} from '../http/schemas.ts';
import { bearer, type Deps } from './deps.ts';

const Period = { from: T.Optional(ReportInstant), to: T.Optional(ReportInstant) };
const OrdersQuery = T.Object(
  {
    accountId: T.Optional(Id),
    status: T.Optional(OrderStatus),
    customerId: T.Optional(
      T.String({
        ...Id,
        description: "Admins only: one customer's orders (ignored for a customer, who sees their own)",
      }),
    ),
    ...Period,
    ...PageQuery,
  },
  Strict,
);
const PeriodQuery = T.Object({ ...Period }, Strict);
const AccountParams = T.Object({ accountId: Id }, Strict);

const AS_OF = 'X-Data-As-Of';
/** What every report's summary says of its header. */
const AS_OF_NOTE =
  ' The X-Data-As-Of header says how current it is: the time of the newest event the read model applied (absent before its first).';

/** A report's 200 answer: its body, and the X-Data-As-Of header in the OpenAPI document (@fastify/swagger reads `headers`). */
function asOfAnswer<S extends object>(schema: S): S {
  return {
    ...schema,
    headers: {
      [AS_OF]: {
        type: 'string',
        format: 'date-time',
        description:
          'The time of the newest event the read model applied: how current this answer is (absent before its first event).',
      },
    },
  };
}

/** Sets X-Data-As-Of and answers the rest. */
function withAsOf<R extends { asOf: string | null }>(reply: FastifyReply, answer: R): Omit<R, 'asOf'> {
  const { asOf, ...rest } = answer;
  if (asOf) reply.header(AS_OF, asOf);
  return rest;
}

const defined = <O extends Record<string, unknown>>(o: O) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof O]: Exclude<O[K], undefined>;
  };

export async function reportRoutes(instance: FastifyInstance, deps: Deps): Promise<void> {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  const { ctx } = deps;
  const tags = ['reports'];
  app.get(
    '/reports/orders',
    {
      ...deps.authed,
      schema: {
        tags,
        summary:
          "Your orders across accounts, with fee, fill, notional, asset name and type and source, newest first (an admin: anyone's, or one customer's with customerId)." +
          AS_OF_NOTE,
        security: bearer,
        querystring: OrdersQuery,
        response: { 200: asOfAnswer(Page(OrderReportItem)), ...problems(401) },
      },
    },
    async (request, reply) => {
      const { accountId, status, customerId, from, to } = request.query;
      const answer = await callFor(ctx, request)(reportingContract, 'listOrders', {
        ...pageOf(request.query),
        ...defined({ accountId, status, customerId, from, to }),
      });
      return withAsOf(reply, answer);
    },
  );
  app.get(
    '/admin/reports/fees',
    {
      ...deps.admin,
      schema: {
        tags: [...tags, 'admin'],
        summary: 'Fee income in the period (charged minus refunded) by day, side and asset type.' + AS_OF_NOTE,
        security: bearer,
        querystring: PeriodQuery,
        response: { 200: asOfAnswer(FeeReport), ...problems(401, 403) },
      },
    },
    async (request, reply) => {
      const { from, to } = request.query;
      return withAsOf(reply, await callFor(ctx, request)(reportingContract, 'feeReport', defined({ from, to })));
    },
  );
  app.get(
    '/accounts/:accountId/statement',
    {
      ...deps.ownAccount,
      schema: {
        tags: [...tags, 'accounts'],
        summary:
          "The account's statement: opening balance, one line per movement of cash with its running balance, closing balance (default period: this month so far)." +
          AS_OF_NOTE,
        security: bearer,
        params: AccountParams,
        querystring: PeriodQuery,
        response: { 200: asOfAnswer(Statement), ...problems(401, 404) },
      },
    },
    async (request, reply) => {
      const { from, to } = request.query;
      const accountId = stateOf(request).account?.id ?? request.params.accountId;
      return withAsOf(
        reply,
        await callFor(ctx, request)(reportingContract, 'getStatement', { accountId, ...defined({ from, to }) }),
      );
    },
  );
  app.post(
    '/admin/reports/rebuild',
    {
      ...deps.admin,
      preHandler: [refuseBody, ...deps.admin.preHandler],
      schema: {
        tags: [...tags, 'admin'],
        summary:
          "Rebuild the report read models from reporting's retained events, no request body (operators: `simplebank projections rebuild reporting`)",
        security: bearer,
        response: {
          200: asOfAnswer(
            T.Object({ events: T.Integer(), orders: T.Integer(), fees: T.Integer(), postings: T.Integer() }),
          ),
          ...problems(401, 403),
        },
      },
    },
    async (request, reply) => withAsOf(reply, await callFor(ctx, request)(reportingContract, 'rebuildProjections', {})),
  );
}
