/** GET and PATCH /v1/me: the authenticated customer's profile. */
import { T } from '@simplebank/chassis';
import { customersContract } from '@simplebank/customers/contract';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { who } from '../http/auth.ts';
import { problems } from '../http/openapi.ts';
import { callFor } from '../http/request-context.ts';
import { Customer, Phone, Strict } from '../http/schemas.ts';
import { bearer, type Deps } from './deps.ts';

const PatchMe = T.Object(
  {
    name: T.Optional(T.String({ minLength: 1, maxLength: 200 })),
    preferences: T.Optional(
      T.Object({ email: T.Optional(T.Boolean()), sms: T.Optional(T.Boolean()), push: T.Optional(T.Boolean()) }, Strict),
    ),
    phone: T.Optional(
      T.Union([Phone, T.Null()], { description: 'Your mobile number (E.164) for SMS notifications; null removes it' }),
    ),
  },
  {
    ...Strict,
    description:
      'Fields left out stay as they are. The in-app inbox is always on; email and sms add channels (an SMS needs `phone`).',
  },
);

export async function meRoutes(instance: FastifyInstance, deps: Deps): Promise<void> {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  const { ctx } = deps;
  const tags = ['profile'];
  app.get(
    '/me',
    {
      ...deps.authed,
      schema: { tags, summary: 'Your profile', security: bearer, response: { 200: Customer, ...problems(401) } },
    },
    async (request) => {
      return callFor(ctx, request)(customersContract, 'getCustomer', { customerId: who(request).customerId });
    },
  );
  app.patch(
    '/me',
    {
      ...deps.authed,
      schema: {
        tags,
        summary: 'Change your name, notification channels or mobile number',
        security: bearer,
        body: PatchMe,
        response: { 200: Customer, ...problems(401) },
      },
    },
    async (request) => {
      const { name, preferences, phone } = request.body;
      return callFor(ctx, request)(customersContract, 'updateProfile', {
        customerId: who(request).customerId,
        ...(name !== undefined ? { name } : {}),
        ...(preferences !== undefined ? { preferences } : {}),
        ...(phone !== undefined ? { phone } : {}),
      });
    },
  );
}
