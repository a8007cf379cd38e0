/**
 * Operations (role admin), through the chassis's system methods of every service: every service's
 * readiness, the dead letters (merged newest first; replayed or discarded by the service holding
 * them), a saga's state, and the replay of the events a service published (decision 31). `simplebank dead-letters …`, `simplebank
 * sagas show …` and `simplebank events replay …` (apps/cli) are clients of these routes.
 */
import { AppError, T, UnavailableError, systemContract, type Call, type Static } from '@simplebank/chassis';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { problems } from '../http/openapi.ts';
import { DEFAULT_PAGE_SIZE } from '../http/pagination.ts';
import { HttpProblem } from '../http/problem.ts';
import { callFor, stateOf } from '../http/request-context.ts';
import { Id, Page, PageQuery, Strict } from '../http/schemas.ts';
import { SERVICES } from './admin.ts';
import { bearer, type Deps } from './deps.ts';

const DeadLetter = T.Object({
  id: T.String(),
  service: T.String(),
  messageType: T.Union([T.String(), T.Null()]),
  reason: T.String(),
  attempts: T.Integer(),
  firstFailedAt: T.String(),
  lastFailedAt: T.String(),
});
const PageQuerySchema = T.Object({ ...PageQuery }, Strict);
const DeadLetterParams = T.Object({ id: T.String({ format: 'uuid' }) }, Strict);
const SagaParams = T.Object({ service: T.Union(SERVICES.map((s) => T.Literal(s))), sagaId: Id }, Strict);
const Saga = T.Object({
  id: T.String(),
  type: T.String(),
  status: T.String(),
  data: T.Unknown(),
  currentStep: T.Union([T.String(), T.Null()]),
  failure: T.Union([T.Object({ code: T.String(), message: T.String() }), T.Null()]),
  createdAt: T.String(),
  updatedAt: T.String(),
  traceId: T.Union([T.String(), T.Null()], {
    description:
      'The W3C trace id of the request that began the saga (find its spans in the tracing backend); null when it was not traced',
  }),
  log: T.Array(
    T.Object({
      step: T.String(),
      phase: T.String(),
      outcome: T.String(),
      attempt: T.Integer(),
      at: T.String(),
      detail: T.Optional(T.String()),
    }),
  ),
});

const SagaSummary = T.Omit(Saga, ['log']);
const BreakerParams = T.Object(
  {
    service: T.Union(SERVICES.map((s) => T.Literal(s))),
    target: T.String({
      pattern: '^[a-z][a-z0-9-]{0,62}$',
      description: 'What the breaker guards: a service or an outside system (e.g. exchange)',
    }),
  },
  Strict,
);
const BreakerBody = T.Object(
  {
    state: T.Union([T.Literal('open'), T.Literal('auto')], {
      description: 'open: forced open until released; auto: back to its automatic control',
    }),
  },
  Strict,
);
const ServiceParams = T.Object({ service: T.Union(SERVICES.map((s) => T.Literal(s))) }, Strict);
const SagasQuery = T.Object(
  {
    status: T.Optional(
      T.Union(['running', 'waiting', 'compensating', 'completed', 'compensated', 'failed'].map((x) => T.Literal(x))),
    ),
    ...PageQuery,
  },
  Strict,
);

const ReplayBody = T.Object(
  {
    service: T.Union(SERVICES.map((s) => T.Literal(s))),
    types: T.Array(T.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 50 }),
    since: T.String({ format: 'date-time' }),
    limit: T.Optional(T.Integer({ minimum: 1, maximum: 1000 })),
    cursor: T.Optional(T.String({ pattern: '^[0-9]{1,18}$' })),
  },
  Strict,
);
const Replayed = T.Object({
  service: T.String(),
  replayed: T.Integer(),
  nextCursor: T.Union([T.String(), T.Null()]),
  retainedSince: T.Union([T.String(), T.Null()]),
});

const Check = T.Object({ name: T.String(), ready: T.Boolean(), detail: T.Optional(T.String()) });
const ServiceReadiness = T.Object({
  service: T.String(),
  ready: T.Boolean(),
  reachable: T.Boolean({
    description: 'false: the service did not answer in time (not running, or too busy); its checks are then unknown',
  }),
  checks: T.Array(Check, { description: 'Named <service>:<check>; circuit breakers are <service>:breaker:<target>' }),
});
const Readiness = T.Object({ ready: T.Boolean(), services: T.Array(ServiceReadiness) });
/** How long the console waits for a service's readiness: a service slower than this is not ready to anyone either. */
const READINESS_DEADLINE_MS = 1500;

type Letter = Static<typeof DeadLetter>;

/**
 * Every service's own readiness checks, asked of each over the transport (chassis `_readiness`) at
 * once: the same answer in the all-in-one and the distributed mode. A service that does not answer
 * within the deadline is not ready, not reachable. One instance of a service answers for it.
 */
async function readinessOfAll(call: Call): Promise<Static<typeof Readiness>> {
  const services = await Promise.all(
    SERVICES.map(async (service): Promise<Static<typeof ServiceReadiness>> => {
      try {
        const r = await call(systemContract(service), '_readiness', {}, { timeoutMs: READINESS_DEADLINE_MS });
        return { service, ready: r.ready, reachable: true, checks: r.checks };
      } catch (err) {
        const detail =
          err instanceof AppError && err.status !== 503 && err.status !== 504
            ? `answered ${err.code}`
            : 'not reachable';
        return {
          service,
          ready: false,
          reachable: false,
          checks: [{ name: `${service}:reachable`, ready: false, detail }],
        };
      }
    }),
  );
  return { ready: services.every((s) => s.ready), services };
}
/** Per service, where its next page starts: a dead-letter id, null (from the top), or 'done'. */
type Positions = Record<string, string | null>;

function decodeCursor(cursor: string | undefined): Positions {
  if (!cursor) return {};
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    for (const v of Object.values(parsed)) if (v !== null && typeof v !== 'string') throw new Error('bad position');
    return parsed as Positions;
  } catch {
    throw new HttpProblem(400, 'validation_failed', 'The cursor is not one this API gave', {}, [
      { path: 'query/cursor', message: 'Unknown cursor' },
    ]);
  }
}

/** The dead letters of every service, merged newest first, paged with a cursor over all of them. */
async function deadLetters(
  call: Call,
  request: FastifyRequest,
  limit: number,
  cursor: string | undefined,
): Promise<{ items: Letter[]; nextCursor: string | null }> {
  const positions = decodeCursor(cursor);
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  const pages = await Promise.all(
    SERVICES.filter((s) => positions[s] !== 'done').map(async (service) => {
      const at = positions[service];
      try {
        const page = await call(systemContract(service), '_deadLetters', {
          limit,
          ...(at && uuid.test(at) ? { cursor: at } : {}),
        });
        return { service, items: page.items, more: page.nextCursor !== null };
      } catch (err) {
        // A service not running in this deployment has no dead letters to show here.
        if (err instanceof AppError && (err.status === 503 || err.status === 504)) {
          request.log.warn(
            { requestId: stateOf(request).requestId, service, code: err.code },
            'dead letters of a service unavailable',
          );
          return { service, items: [], more: false, unavailable: true };
        }
        throw err;
      }
    }),
  );
  const merged = pages
    .flatMap((p) => p.items.map((l) => ({ ...l, service: p.service })))
    .sort((a, b) =>
      a.lastFailedAt === b.lastFailedAt ? (a.id < b.id ? 1 : -1) : a.lastFailedAt < b.lastFailedAt ? 1 : -1,
    );
  const items = merged.slice(0, limit);
  const next: Positions = { ...positions };
  let more = false;
  for (const page of pages) {
    const taken = items.filter((l) => l.service === page.service);
    const left = page.items.length - taken.length;
    if (taken.length > 0) next[page.service] = taken[taken.length - 1]!.id;
    if (left > 0 || page.more) more = true;
    else if (!('unavailable' in page)) next[page.service] = 'done';
  }
  return {
    items: items.map((l) => ({
      id: l.id,
      service: l.service,
      messageType: l.messageType,
      reason: l.reason,
      attempts: l.attempts,
      firstFailedAt: l.firstFailedAt,
      lastFailedAt: l.lastFailedAt,
    })),
    nextCursor: more ? Buffer.from(JSON.stringify(next)).toString('base64url') : null,
  };
}

/** Asks every service to act on dead letter `id`; the one holding it answers (replay or discard). */
async function onHolder<R extends { id: string }>(
  call: Call,
  id: string,
  act: (service: string) => Promise<R>,
): Promise<R & { service: string }> {
  const answers = await Promise.allSettled(SERVICES.map((service) => act(service).then((r) => ({ ...r, service }))));
  for (const a of answers) if (a.status === 'fulfilled') return a.value;
  // Nobody did it: a real refusal (replay_failed…) beats not_found; unavailable services, if any, make it a 503.
  const errors = answers
    .map((a) => (a as PromiseRejectedResult).reason)
    .map((e) => (e instanceof AppError ? e : new AppError('internal_error', String(e))));
  const refusal = errors.find((e) => e.code !== 'not_found' && e.code !== 'unknown_method' && e.status < 500);
  if (refusal) throw refusal;
  const fault = errors.find((e) => e.status >= 500 && e.status !== 503 && e.status !== 504);
  if (fault) throw fault;
  if (errors.every((e) => e.status === 503 || e.status === 504)) throw new UnavailableError('No service answered');
  throw new HttpProblem(404, 'not_found', 'No service holds this dead letter');
}

export async function operationsRoutes(instance: FastifyInstance, deps: Deps): Promise<void> {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  const { ctx } = deps;
  const tags = ['admin'];
  const security = bearer;

  app.get(
    '/admin/readiness',
    {
      ...deps.admin,
      schema: {
        tags,
        summary:
          "Every service's readiness and why (its checks, its circuit breakers), asked of each service wherever it runs; one that does not answer in time is not ready, not reachable",
        security,
        response: { 200: Readiness, ...problems(401, 403) },
      },
    },
    async (request) => readinessOfAll(callFor(ctx, request)),
  );

  app.get(
    '/admin/dead-letters',
    {
      ...deps.admin,
      schema: {
        tags,
        summary: 'Dead letters of every service, newest first',
        security,
        querystring: PageQuerySchema,
        response: { 200: Page(DeadLetter), ...problems(401, 403) },
      },
    },
    async (request) =>
      deadLetters(callFor(ctx, request), request, request.query.limit ?? DEFAULT_PAGE_SIZE, request.query.cursor),
  );

  app.get(
    '/admin/dead-letters/:id',
    {
      ...deps.admin,
      schema: {
        tags,
        summary:
          'One dead letter with its message as it arrived (secrets and personal data redacted): what its consumer could not handle',
        security,
        params: DeadLetterParams,
        response: {
          200: T.Object({
            ...DeadLetter.properties,
            consumer: T.String(),
            messageId: T.Union([T.String(), T.Null()]),
            message: T.Unknown(),
          }),
          ...problems(401, 403, 404),
        },
      },
    },
    async (request) => {
      const call = callFor(ctx, request);
      const { id, service, consumer, messageId, messageType, reason, attempts, firstFailedAt, lastFailedAt, message } =
        await onHolder(call, request.params.id, (s) =>
          call(systemContract(s), '_deadLetter', { id: request.params.id }),
        );
      return { id, service, consumer, messageId, messageType, reason, attempts, firstFailedAt, lastFailedAt, message };
    },
  );

  app.post(
    '/admin/dead-letters/:id/replay',
    {
      ...deps.admin,
      schema: {
        tags,
        summary: 'Hand a dead letter to its consumer again',
        security,
        params: DeadLetterParams,
        response: {
          202: T.Object({ id: T.String(), service: T.String(), outcome: T.String() }),
          ...problems(401, 403, 404, 422),
        },
      },
    },
    async (request, reply) => {
      const call = callFor(ctx, request);
      const { id, service, outcome } = await onHolder(call, request.params.id, (s) =>
        call(systemContract(s), '_replayDeadLetter', { id: request.params.id }),
      );
      return reply.code(202).send({ id, service, outcome });
    },
  );

  app.delete(
    '/admin/dead-letters/:id',
    {
      ...deps.admin,
      schema: {
        tags,
        summary: 'Discard a dead letter: its message is given up for good (the decision is logged by the service)',
        security,
        params: DeadLetterParams,
        response: { 204: T.Null(), ...problems(401, 403, 404) },
      },
    },
    async (request, reply) => {
      const call = callFor(ctx, request);
      await onHolder(call, request.params.id, (s) =>
        call(systemContract(s), '_discardDeadLetter', { id: request.params.id }),
      );
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/admin/events/replay',
    {
      ...deps.admin,
      schema: {
        tags,
        summary:
          "Publish again, a page at a time, the events of these types a service published since a time (kept a day): a new read model's history; subscribers that had them ignore the copies",
        security,
        body: ReplayBody,
        response: { 200: Replayed, ...problems(401, 403) },
      },
    },
    async (request) => {
      const { service, ...page } = request.body;
      return { service, ...(await callFor(ctx, request)(systemContract(service), '_replayEvents', page)) };
    },
  );

  app.put(
    '/admin/breakers/:service/:target',
    {
      ...deps.admin,
      schema: {
        tags,
        summary:
          "Force a service's circuit breaker towards a target open (its calls there refused at once, e.g. to shed a sick dependency), or give it back to its automatic control",
        security,
        params: BreakerParams,
        body: BreakerBody,
        response: {
          200: T.Object({
            service: T.String(),
            target: T.String(),
            state: T.String({ description: 'closed, open, half-open or forced-open' }),
          }),
          ...problems(401, 403, 404),
        },
      },
    },
    async (request) => {
      const { service, target } = request.params;
      const r = await callFor(ctx, request)(systemContract(service), '_breaker', { target, state: request.body.state });
      return { service, target: r.target, state: r.state };
    },
  );

  app.get(
    '/admin/sagas/:service',
    {
      ...deps.admin,
      schema: {
        tags,
        summary:
          "A service's saga instances, newest first, of one status when given (without their step logs: GET one for its timeline)",
        security,
        params: ServiceParams,
        querystring: SagasQuery,
        response: { 200: Page(SagaSummary), ...problems(401, 403) },
      },
    },
    async (request) => {
      const { status, limit, cursor } = request.query;
      return callFor(ctx, request)(systemContract(request.params.service), '_sagas', {
        ...(status ? { status } : {}),
        ...(limit ? { limit } : {}),
        ...(cursor ? { cursor } : {}),
      }) as Promise<Static<ReturnType<typeof Page<typeof SagaSummary>>>>;
    },
  );

  app.get(
    '/admin/sagas/:service/:sagaId',
    {
      ...deps.admin,
      schema: {
        tags,
        summary: "A saga of a service: its status, data, current step and every step's outcome",
        security,
        params: SagaParams,
        response: { 200: Saga, ...problems(401, 403, 404) },
      },
    },
    async (request) =>
      callFor(ctx, request)(systemContract(request.params.service), '_saga', { id: request.params.sagaId }) as Promise<
        Static<typeof Saga>
      >,
  );
}
