/**
 * Administration (role admin): the fee schedule, the trial balance, the dead letters of every
 * service (the chassis's system methods, fanned out), and the simulation controls.
 */
import { AppError, T, UnavailableError, systemContract, type Call, type Static } from '@simplebank/chassis';
import { exchangeApiKey } from '@simplebank/exchange/contract';
import { feesContract } from '@simplebank/fees/contract';
import { marketDataContract } from '@simplebank/market-data/contract';
import { transactionsContract } from '@simplebank/transactions/contract';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { problems } from '../http/openapi.ts';
import { DEFAULT_PAGE_SIZE } from '../http/pagination.ts';
import { HttpProblem } from '../http/problem.ts';
import { callFor, stateOf } from '../http/request-context.ts';
import { AmountString, Asset, FeeSchedule, Id, Page, PageQuery, PositivePrice, RateString, Strict } from '../http/schemas.ts';
import { gatewaySettings } from '../settings.ts';
import { bearer, type Deps } from './deps.ts';
import { publicSchedule } from './fees.ts';

/** Every service that may hold dead letters (each keeps them in its own database). */
export const SERVICES = ['accounts', 'customers', 'exchange', 'fees', 'gateway', 'holdings', 'market', 'market-data', 'notifications', 'orders', 'payments', 'strategies', 'transactions'] as const;

const ScheduleBody = T.Object({ minimum: AmountString, rate: RateString }, Strict);
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
const AssetParams = T.Object({ assetId: Id }, Strict);
const PinBody = T.Object(
  { price: T.Optional(PositivePrice), pinned: T.Optional(T.Literal(false, { description: 'false releases a pinned price' })) },
  { ...Strict, description: '`{price}` pins the price; `{pinned: false}` releases it' },
);
const ExchangeSettingsBody = T.Object(
  {
    open: T.Optional(T.Boolean()),
    latencyMs: T.Optional(T.Integer({ minimum: 0, maximum: 60_000 })),
    failureRate: T.Optional(T.Union([T.Number({ minimum: 0, maximum: 1 }), T.String({ pattern: '^(0(\\.\\d{1,9})?|1(\\.0{1,9})?)$' })], { description: 'Share of failing requests, 0–1, as a number or a decimal string' })),
    fillDelayMs: T.Optional(T.Integer({ minimum: 0, maximum: 3_600_000 })),
  },
  Strict,
);
const ExchangeSettings = T.Object({ open: T.Boolean(), latencyMs: T.Integer(), failureRate: T.Number(), fillDelayMs: T.Integer() });

type Letter = Static<typeof DeadLetter>;
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
    throw new HttpProblem(400, 'validation_failed', 'The cursor is not one this API gave', {}, [{ path: 'query/cursor', message: 'Unknown cursor' }]);
  }
}

/** The dead letters of every service, merged newest first, paged with a cursor over all of them. */
async function deadLetters(call: Call, request: FastifyRequest, limit: number, cursor: string | undefined): Promise<{ items: Letter[]; nextCursor: string | null }> {
  const positions = decodeCursor(cursor);
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  const pages = await Promise.all(
    SERVICES.filter((s) => positions[s] !== 'done').map(async (service) => {
      const at = positions[service];
      try {
        const page = await call(systemContract(service), '_deadLetters', { limit, ...(at && uuid.test(at) ? { cursor: at } : {}) });
        return { service, items: page.items, more: page.nextCursor !== null };
      } catch (err) {
        // A service not running in this deployment has no dead letters to show here.
        if (err instanceof AppError && (err.status === 503 || err.status === 504)) {
          request.log.warn({ requestId: stateOf(request).requestId, service, code: err.code }, 'dead letters of a service unavailable');
          return { service, items: [], more: false, unavailable: true };
        }
        throw err;
      }
    }),
  );
  const merged = pages
    .flatMap((p) => p.items.map((l) => ({ ...l, service: p.service })))
    .sort((a, b) => (a.lastFailedAt === b.lastFailedAt ? (a.id < b.id ? 1 : -1) : a.lastFailedAt < b.lastFailedAt ? 1 : -1));
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
    items: items.map((l) => ({ id: l.id, service: l.service, messageType: l.messageType, reason: l.reason, attempts: l.attempts, firstFailedAt: l.firstFailedAt, lastFailedAt: l.lastFailedAt })),
    nextCursor: more ? Buffer.from(JSON.stringify(next)).toString('base64url') : null,
  };
}

async function replay(call: Call, id: string): Promise<{ id: string; service: string; outcome: string }> {
  const answers = await Promise.allSettled(SERVICES.map((service) => call(systemContract(service), '_replayDeadLetter', { id }).then((r) => ({ ...r, service }))));
  for (const a of answers) if (a.status === 'fulfilled') return { id: a.value.id, service: a.value.service, outcome: a.value.outcome };
  // Nobody replayed it: a real refusal (replay_failed…) beats not_found; unavailable services, if any, make it a 503.
  const errors = answers.map((a) => (a as PromiseRejectedResult).reason).map((e) => (e instanceof AppError ? e : new AppError('internal_error', String(e))));
  const refusal = errors.find((e) => e.code !== 'not_found' && e.code !== 'unknown_method' && e.status < 500);
  if (refusal) throw refusal;
  const fault = errors.find((e) => e.status >= 500 && e.status !== 503 && e.status !== 504);
  if (fault) throw fault;
  if (errors.every((e) => e.status === 503 || e.status === 504)) throw new UnavailableError('No service answered');
  throw new HttpProblem(404, 'not_found', 'No service holds this dead letter');
}

export async function adminRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  const { ctx } = deps;
  const tags = ['admin'];
  const security = bearer;
  /** The exchange's API key (decision 0015): its simulation controls answer only with it. */
  const exchangeKey = exchangeApiKey(gatewaySettings.value.EXCHANGE_API_KEY);

  app.put<{ Body: Static<typeof ScheduleBody> }>(
    '/admin/fees/schedule',
    { ...deps.admin, schema: { tags, summary: 'A new fee schedule (for orders created after it)', security, body: ScheduleBody, response: { 200: FeeSchedule, ...problems(401, 403) } } },
    async (request) => publicSchedule(await callFor(ctx, request)(feesContract, 'setSchedule', request.body)),
  );

  app.get(
    '/admin/ledger/trial-balance',
    {
      ...deps.admin,
      schema: { tags, summary: 'The trial balance of the ledger', security, response: { 200: T.Object({ balanced: T.Boolean(), assets: T.Array(T.Object({ asset: T.String(), total: T.String() })) }), ...problems(401, 403) } },
    },
    async (request) => callFor(ctx, request)(transactionsContract, 'trialBalance', {}),
  );

  app.get<{ Querystring: Static<typeof PageQuerySchema> }>(
    '/admin/dead-letters',
    { ...deps.admin, schema: { tags, summary: 'Dead letters of every service, newest first', security, querystring: PageQuerySchema, response: { 200: Page(DeadLetter), ...problems(401, 403) } } },
    async (request) => deadLetters(callFor(ctx, request), request, request.query.limit ?? DEFAULT_PAGE_SIZE, request.query.cursor),
  );

  app.post<{ Params: Static<typeof DeadLetterParams> }>(
    '/admin/dead-letters/:id/replay',
    {
      ...deps.admin,
      schema: { tags, summary: 'Hand a dead letter to its consumer again', security, params: DeadLetterParams, response: { 202: T.Object({ id: T.String(), service: T.String(), outcome: T.String() }), ...problems(401, 403, 404, 422) } },
    },
    async (request, reply) => {
      const answer = await replay(callFor(ctx, request), request.params.id);
      return reply.code(202).send(answer);
    },
  );

  app.put<{ Params: Static<typeof AssetParams>; Body: Static<typeof PinBody> }>(
    '/admin/simulation/prices/:assetId',
    { ...deps.admin, schema: { tags, summary: "Pin or release an instrument's simulated price", security, params: AssetParams, body: PinBody, response: { 200: Asset, ...problems(401, 403, 404) } } },
    async (request) => {
      const call = callFor(ctx, request);
      const { assetId } = request.params;
      const { price, pinned } = request.body;
      if ((price === undefined) === (pinned === undefined)) {
        const message = 'Send either {price} to pin or {pinned: false} to release';
        throw new HttpProblem(400, 'validation_failed', message, {}, [{ path: 'body', message }]);
      }
      if (price !== undefined) return call(marketDataContract, 'pinPrice', { assetId, price });
      return call(marketDataContract, 'unpinPrice', { assetId });
    },
  );

  app.put<{ Body: Static<typeof ExchangeSettingsBody> }>(
    '/admin/simulation/exchange',
    { ...deps.admin, schema: { tags, summary: "Change the simulated exchange's behaviour", security, body: ExchangeSettingsBody, response: { 200: ExchangeSettings, ...problems(401, 403) } } },
    async (request, reply) => {
      const body: Record<string, unknown> = { ...request.body };
      if (typeof body.failureRate === 'string') body.failureRate = Number(body.failureRate);
      const url = `${deps.exchangeUrl().replace(/\/$/, '')}/settings`;
      const remaining = Math.max(1, stateOf(request).deadline - Date.now());
      let response: Response;
      try {
        response = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json', 'x-request-id': stateOf(request).requestId, authorization: `Bearer ${exchangeKey}` }, body: JSON.stringify(body), signal: AbortSignal.timeout(Math.min(remaining, 5000)) });
      } catch (err) {
        throw new UnavailableError(`The exchange did not answer: ${(err as Error).message}`, 'exchange_unavailable', err);
      }
      const text = await response.text();
      if (response.status >= 500) throw new UnavailableError(`The exchange answered ${response.status}`, 'exchange_unavailable');
      // Our key refused: a configuration fault (EXCHANGE_API_KEY differs), not the admin's request.
      if (response.status === 401 || response.status === 403) throw new UnavailableError('The exchange refused our API key (EXCHANGE_API_KEY)', 'exchange_unavailable');
      if (!response.ok) throw new HttpProblem(response.status === 404 ? 503 : 400, response.status === 404 ? 'exchange_unavailable' : 'validation_failed', `The exchange refused the settings: ${text.slice(0, 300)}`, response.status === 404 ? { 'Retry-After': '1' } : {});
      try {
        return reply.code(200).send(JSON.parse(text));
      } catch {
        throw new UnavailableError('The exchange answered something else than JSON', 'exchange_unavailable');
      }
    },
  );
}
