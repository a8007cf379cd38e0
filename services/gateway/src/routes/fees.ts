/** GET /v1/fees/schedule. */
import { feesContract } from '@simplebank/fees/contract';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { problems } from '../http/openapi.ts';
import { callFor } from '../http/request-context.ts';
import { FeeSchedule } from '../http/schemas.ts';
import { bearer, type Deps } from './deps.ts';

export function publicSchedule(s: { minimum: string; rate: string; effectiveFrom: string }) {
  return { minimum: s.minimum, rate: s.rate, effectiveFrom: s.effectiveFrom };
}

export async function feeRoutes(instance: FastifyInstance, deps: Deps): Promise<void> {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/fees/schedule',
    {
      ...deps.authed,
      schema: {
        tags: ['fees'],
        summary: 'The fee schedule in force: max(minimum, rate × notional)',
        security: bearer,
        response: { 200: FeeSchedule, ...problems(401) },
      },
    },
    async (request) => publicSchedule(await callFor(deps.ctx, request)(feesContract, 'getSchedule', {})),
  );
}
