/** GET /v1/notifications, POST /v1/notifications/{id}/read; for admins, GET /v1/admin/deliveries (email, SMS and in-app deliveries). */
import { T } from '@simplebank/chassis';
import { notificationsContract } from '@simplebank/notifications/contract';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { refuseBody } from '../http/no-body.ts';
import { problems } from '../http/openapi.ts';
import { pageOf } from '../http/pagination.ts';
import { callFor } from '../http/request-context.ts';
import { Delivery, DeliveryChannel, Id, Notification, Page, PageQuery, Strict } from '../http/schemas.ts';
import { bearer, type Deps } from './deps.ts';

const PageQuerySchema = T.Object({ ...PageQuery }, Strict);
const NotificationParams = T.Object({ id: Id }, Strict);
const DeliveriesQuery = T.Object(
  { customerId: T.Optional(Id), channel: T.Optional(DeliveryChannel), ...PageQuery },
  Strict,
);

export async function notificationRoutes(instance: FastifyInstance, deps: Deps): Promise<void> {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['notifications'];
  app.get(
    '/notifications',
    {
      ...deps.authed,
      schema: {
        tags,
        summary: 'Your notifications, newest first',
        security: bearer,
        querystring: PageQuerySchema,
        response: { 200: Page(Notification), ...problems(401) },
      },
    },
    async (request) => callFor(deps.ctx, request)(notificationsContract, 'listNotifications', pageOf(request.query)),
  );
  app.post(
    '/notifications/:id/read',
    {
      ...deps.authed,
      preHandler: [refuseBody, ...deps.authed.preHandler],
      schema: {
        tags,
        summary: 'Mark a notification read (no request body)',
        security: bearer,
        params: NotificationParams,
        response: { 204: T.Null({ description: 'Marked read' }), ...problems(400, 401, 404) },
      },
    },
    async (request, reply) => {
      await callFor(deps.ctx, request)(notificationsContract, 'markRead', { notificationId: request.params.id });
      return reply.code(204).send(null);
    },
  );
  app.get(
    '/admin/deliveries',
    {
      ...deps.admin,
      schema: {
        tags: [...tags, 'admin'],
        summary: 'Deliveries of notifications by channel, newest first (one per notification and channel)',
        security: bearer,
        querystring: DeliveriesQuery,
        response: { 200: Page(Delivery), ...problems(401, 403) },
      },
    },
    async (request) => {
      const { customerId, channel } = request.query;
      return callFor(deps.ctx, request)(notificationsContract, 'listDeliveries', {
        ...pageOf(request.query),
        ...(customerId ? { customerId } : {}),
        ...(channel ? { channel } : {}),
      });
    },
  );
}
