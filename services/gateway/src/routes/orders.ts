/** Orders: POST /v1/orders (202 pending), list, get, cancel. */
import { T } from '@simplebank/chassis';
import { ordersContract } from '@simplebank/orders/contract';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { who } from '../http/auth.ts';
import { IdempotencyHeaders, idempotencyKeyFor } from '../http/idempotency.ts';
import { refuseBody } from '../http/no-body.ts';
import { problems } from '../http/openapi.ts';
import { pageOf } from '../http/pagination.ts';
import { callFor } from '../http/request-context.ts';
import {
  Id,
  MAX_ORDER_NOTIONAL,
  Order,
  OrderStatus,
  Page,
  PageQuery,
  PositiveQuantity,
  Side,
  Strict,
} from '../http/schemas.ts';
import { bearer, type Deps } from './deps.ts';

const PlaceOrderBody = T.Object(
  { accountId: Id, assetId: Id, side: Side, quantity: PositiveQuantity },
  {
    ...Strict,
    description: `The order's notional, quantity × limit price (the quote ± 5%), is at most ${MAX_ORDER_NOTIONAL} (the limit of an order's notional): more is refused with 422 \`limit_exceeded\`, a field error on \`quantity\` (docs/limits.md).`,
    'x-maximum-notional': MAX_ORDER_NOTIONAL,
  },
);
const OrderQuery = T.Object({ accountId: T.Optional(Id), status: T.Optional(OrderStatus), ...PageQuery }, Strict);
const OrderParams = T.Object({ orderId: Id }, Strict);

export async function orderRoutes(instance: FastifyInstance, deps: Deps): Promise<void> {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  const { ctx } = deps;
  const tags = ['orders'];
  app.post(
    '/orders',
    {
      ...deps.authed,
      schema: {
        tags,
        summary: 'Place a market order (asynchronous)',
        security: bearer,
        headers: IdempotencyHeaders,
        body: PlaceOrderBody,
        response: { 202: Order, ...problems(401, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const idempotencyKey = idempotencyKeyFor(request, who(request).customerId);
      const order = await callFor(ctx, request)(ordersContract, 'placeOrder', request.body, { idempotencyKey });
      reply.code(202).header('Location', `/v1/orders/${encodeURIComponent(order.id)}`);
      return order;
    },
  );
  app.get(
    '/orders',
    {
      ...deps.authed,
      schema: {
        tags,
        summary: 'Your orders, newest first',
        security: bearer,
        querystring: OrderQuery,
        response: { 200: Page(Order), ...problems(401) },
      },
    },
    async (request) => {
      const { accountId, status } = request.query;
      return callFor(ctx, request)(ordersContract, 'listOrders', {
        ...(accountId ? { accountId } : {}),
        ...(status ? { status } : {}),
        ...pageOf(request.query),
      });
    },
  );
  app.get(
    '/orders/:orderId',
    {
      ...deps.authed,
      schema: {
        tags,
        summary: 'An order with its history',
        security: bearer,
        params: OrderParams,
        response: { 200: Order, ...problems(401, 404) },
      },
    },
    async (request) => callFor(ctx, request)(ordersContract, 'getOrder', { orderId: request.params.orderId }),
  );
  app.post(
    '/orders/:orderId/cancel',
    {
      ...deps.authed,
      preHandler: [refuseBody, ...deps.authed.preHandler],
      schema: {
        tags,
        summary: 'Cancel an order (asynchronous; no request body)',
        security: bearer,
        params: OrderParams,
        response: { 202: Order, ...problems(400, 401, 404, 409) },
      },
    },
    async (request, reply) => {
      const order = await callFor(ctx, request)(ordersContract, 'cancelOrder', { orderId: request.params.orderId });
      reply.code(202).header('Location', `/v1/orders/${encodeURIComponent(order.id)}`);
      return order;
    },
  );
}
