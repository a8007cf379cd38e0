/**
 * GET /v1/admin/signals (role admin): every service's golden signals as its process counts them
 * (chassis `_signals`), asked of each at once with a short deadline, as readiness is (operations.ts).
 * Totals, not rates: the console samples them and charts the differences over its own interval.
 */
import { T, systemContract, type Call, type Static } from '@simplebank/chassis';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { problems } from '../http/openapi.ts';
import { callFor } from '../http/request-context.ts';
import { SERVICES } from './admin.ts';
import { bearer, type Deps } from './deps.ts';

const Signals = systemContract('any').rpc._signals.response;
const ServiceSignals = T.Object({
  service: T.String(),
  reachable: T.Boolean({ description: 'false: the service did not answer in time; its signals are then null' }),
  signals: T.Union([Signals, T.Null()]),
});
const AllSignals = T.Object({ at: T.String({ format: 'date-time' }), services: T.Array(ServiceSignals) });
/** As readiness: a service slower than this to say its counts is shown without them. */
const SIGNALS_DEADLINE_MS = 1500;

async function signalsOfAll(call: Call): Promise<Static<typeof AllSignals>> {
  const services = await Promise.all(
    SERVICES.map(async (service) => {
      try {
        return {
          service,
          reachable: true,
          signals: await call(systemContract(service), '_signals', {}, { timeoutMs: SIGNALS_DEADLINE_MS }),
        };
      } catch {
        return { service, reachable: false, signals: null };
      }
    }),
  );
  return { at: new Date().toISOString(), services };
}

export async function signalsRoutes(instance: FastifyInstance, deps: Deps): Promise<void> {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/admin/signals',
    {
      ...deps.admin,
      schema: {
        tags: ['admin'],
        summary:
          "Every service's golden signals: request, error and latency totals since its process started, its outbox backlog and relay lag, its queues' depths (a service that does not answer in time: null)",
        security: bearer,
        response: { 200: AllSignals, ...problems(401, 403) },
      },
    },
    async (request) => signalsOfAll(callFor(deps.ctx, request)),
  );
}
