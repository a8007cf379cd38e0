/**
 * Administration (role admin): the fee schedule, the trial balance and the simulation controls.
 * What an operator asks of the services themselves (dead letters, sagas) is in operations.ts.
 */
import { T, UnavailableError, type Static } from '@simplebank/chassis';
import { serviceNamesSorted } from '@simplebank/registry';
import { exchangeApiKey } from '@simplebank/exchange/contract';
import { feesContract } from '@simplebank/fees/contract';
import { marketDataContract } from '@simplebank/market-data/contract';
import { transactionsContract } from '@simplebank/transactions/contract';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { problems } from '../http/openapi.ts';
import { HttpProblem } from '../http/problem.ts';
import { callFor, stateOf } from '../http/request-context.ts';
import { AmountString, Asset, FeeSchedule, Id, PositivePrice, RateString, Strict } from '../http/schemas.ts';
import { gatewaySettings } from '../settings.ts';
import { bearer, type Deps } from './deps.ts';
import { publicSchedule } from './fees.ts';

/** Every service (the registry: services/*), alphabetical: each keeps its own dead letters and sagas (operations.ts asks each). */
export const SERVICES: readonly string[] = serviceNamesSorted();

const ScheduleBody = T.Object({ minimum: AmountString, rate: RateString }, Strict);
const AssetParams = T.Object({ assetId: Id }, Strict);
const PinBody = T.Object(
  {
    price: T.Optional(PositivePrice),
    pinned: T.Optional(T.Literal(false, { description: 'false releases a pinned price' })),
  },
  { ...Strict, description: '`{price}` pins the price; `{pinned: false}` releases it' },
);
const ExchangeSettingsBody = T.Object(
  {
    open: T.Optional(T.Boolean()),
    latencyMs: T.Optional(T.Integer({ minimum: 0, maximum: 60_000 })),
    failureRate: T.Optional(
      T.Union([T.Number({ minimum: 0, maximum: 1 }), T.String({ pattern: '^(0(\\.\\d{1,9})?|1(\\.0{1,9})?)$' })], {
        description: 'Share of failing requests, 0–1, as a number or a decimal string',
      }),
    ),
    fillDelayMs: T.Optional(T.Integer({ minimum: 0, maximum: 3_600_000 })),
  },
  Strict,
);
const ExchangeSettings = T.Object({
  open: T.Boolean(),
  latencyMs: T.Integer(),
  failureRate: T.Number(),
  fillDelayMs: T.Integer(),
});

export async function adminRoutes(instance: FastifyInstance, deps: Deps): Promise<void> {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  const { ctx } = deps;
  const tags = ['admin'];
  const security = bearer;
  /** The exchange's API key (decision 0015): its simulation controls answer only with it. */
  const exchangeKey = exchangeApiKey(gatewaySettings.value.EXCHANGE_API_KEY);

  app.put(
    '/admin/fees/schedule',
    {
      ...deps.admin,
      schema: {
        tags,
        summary: 'A new fee schedule (for orders created after it)',
        security,
        body: ScheduleBody,
        response: { 200: FeeSchedule, ...problems(401, 403) },
      },
    },
    async (request) => publicSchedule(await callFor(ctx, request)(feesContract, 'setSchedule', request.body)),
  );

  app.get(
    '/admin/ledger/trial-balance',
    {
      ...deps.admin,
      schema: {
        tags,
        summary: 'The trial balance of the ledger',
        security,
        response: {
          200: T.Object({ balanced: T.Boolean(), assets: T.Array(T.Object({ asset: T.String(), total: T.String() })) }),
          ...problems(401, 403),
        },
      },
    },
    async (request) => callFor(ctx, request)(transactionsContract, 'trialBalance', {}),
  );

  app.put(
    '/admin/simulation/prices/:assetId',
    {
      ...deps.admin,
      schema: {
        tags,
        summary: "Pin or release an instrument's simulated price",
        security,
        params: AssetParams,
        body: PinBody,
        response: { 200: Asset, ...problems(401, 403, 404) },
      },
    },
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

  /**
   * The exchange's simulation controls (its own HTTP API, decision 0015), asked with our key. Its
   * refusals are turned into ours: our key refused or the exchange away is a 503, not the admin's fault.
   */
  const exchangeSettings = async (
    request: FastifyRequest,
    method: 'GET' | 'PUT',
    body?: Record<string, unknown>,
    // The exchange's JSON, sent through the response schema's serializer (which drops anything else).
  ): Promise<Static<typeof ExchangeSettings>> => {
    const url = `${deps.exchangeUrl().replace(/\/$/, '')}/settings`;
    const remaining = Math.max(1, stateOf(request).deadline - Date.now());
    const headers: Record<string, string> = {
      'x-request-id': stateOf(request).requestId,
      authorization: `Bearer ${exchangeKey}`,
    };
    if (body) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(Math.min(remaining, 5000)),
      });
    } catch (err) {
      throw new UnavailableError(`The exchange did not answer: ${(err as Error).message}`, 'exchange_unavailable', err);
    }
    const text = await response.text();
    if (response.status >= 500)
      throw new UnavailableError(`The exchange answered ${response.status}`, 'exchange_unavailable');
    // Our key refused: a configuration fault (EXCHANGE_API_KEY differs), not the admin's request.
    if (response.status === 401 || response.status === 403)
      throw new UnavailableError('The exchange refused our API key (EXCHANGE_API_KEY)', 'exchange_unavailable');
    if (!response.ok)
      throw new HttpProblem(
        response.status === 404 ? 503 : 400,
        response.status === 404 ? 'exchange_unavailable' : 'validation_failed',
        `The exchange refused the settings: ${text.slice(0, 300)}`,
        response.status === 404 ? { 'Retry-After': '1' } : {},
      );
    try {
      return JSON.parse(text);
    } catch {
      throw new UnavailableError('The exchange answered something else than JSON', 'exchange_unavailable');
    }
  };

  app.get(
    '/admin/simulation/exchange',
    {
      ...deps.admin,
      schema: {
        tags,
        summary: "The simulated exchange's current behaviour: open, latency, failure rate, fill delay",
        security,
        response: { 200: ExchangeSettings, ...problems(401, 403) },
      },
    },
    async (request) => exchangeSettings(request, 'GET'),
  );

  app.put(
    '/admin/simulation/exchange',
    {
      ...deps.admin,
      schema: {
        tags,
        summary: "Change the simulated exchange's behaviour",
        security,
        body: ExchangeSettingsBody,
        response: { 200: ExchangeSettings, ...problems(401, 403) },
      },
    },
    async (request) => {
      const body: Record<string, unknown> = { ...request.body };
      if (typeof body.failureRate === 'string') body.failureRate = Number(body.failureRate);
      return exchangeSettings(request, 'PUT', body);
    },
  );
}
