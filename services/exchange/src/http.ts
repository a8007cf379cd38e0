/** The exchange's own HTTP API, under /exchange (see contract.ts); only with its API key (api-key.ts). */
import {
  T,
  httpServerSpanOf,
  isValid,
  problemDetails,
  sleep,
  traceRequests,
  validationErrors,
  type BaseContext,
} from '@simplebank/chassis';
import { marketDataContract } from '@simplebank/market-data/contract';
import { MoneyFormatError, parseMoney, parseQuantity } from '@simplebank/money';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { EXCHANGE_BASE_PATH, ExchangeSettings, PlaceExchangeOrder } from './contract.ts';
import { carriesApiKey, exchangeApiKey } from './api-key.ts';
import { notifyClient } from './callbacks.ts';
import { mulberry32 } from './domain/prng.ts';
import { failsWith, fillsAt, parseFailureRate } from './domain/rules.ts';
import { exchangeSettings } from './settings.ts';
import { wakeFills } from './wake.ts';
import {
  cancelByClientOrderId,
  cancelOrder,
  findByClientOrderId,
  getOrder,
  getSettings,
  placeOrder,
  toExchangeOrder,
  toExchangeSettings,
  updateSettings,
  type SimulationSettings,
} from './store.ts';

/** Seed of the failure simulation: repeatable runs. */
const FAILURE_SEED = 20261122;

const SettingsUpdate = T.Object(
  {
    open: T.Optional(T.Boolean()),
    latencyMs: T.Optional(ExchangeSettings.properties.latencyMs),
    failureRate: T.Optional(T.Union([T.Number({ minimum: 0, maximum: 1 }), T.String({ maxLength: 20 })])),
    fillDelayMs: T.Optional(ExchangeSettings.properties.fillDelayMs),
  },
  { additionalProperties: false },
);

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function problem(
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
  errors?: Array<{ path: string; message: string }>,
) {
  return reply
    .code(status)
    .type('application/json')
    .send({ status, code, message, ...(errors ? { errors } : {}) });
}

export function exchangeHttp(app: FastifyInstance, ctx: BaseContext): void {
  // A server span per request to the exchange (continuing the caller's traceparent header); the
  // routes are the root's in the all-in-one mode, so the hook looks at the path.
  const traced = traceRequests('exchange');
  app.addHook('onRequest', function (request, reply, done) {
    if (request.url === EXCHANGE_BASE_PATH || request.url.startsWith(`${EXCHANGE_BASE_PATH}/`))
      return traced.call(this, request, reply, done);
    done();
  });
  // Only the exchange's clients hold its key (decision 0015): without it, nothing is read or
  // changed — on the public port of the all-in-one mode too, where this server is the gateway's. A
  // hook of each route (not of the server), so it holds however the URL that matched was spelled.
  const key = exchangeApiKey(exchangeSettings.value.EXCHANGE_API_KEY);
  const guarded = {
    async onRequest(request: FastifyRequest, reply: FastifyReply) {
      if (carriesApiKey(request.headers.authorization, key)) return;
      ctx.log.warn(
        { method: request.method, path: request.url.split('?')[0] },
        'exchange API request without its key refused',
      );
      await reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="exchange"')
        .header('x-request-id', request.id)
        .type('application/problem+json; charset=utf-8')
        .send(
          JSON.stringify(
            problemDetails(
              401,
              'unauthorized',
              "The exchange's API needs its API key",
              request.url.split('?')[0] ?? request.url,
              request.id,
            ),
          ),
        );
      return reply;
    },
  };
  /** `ctx.call` for work done for `req`: in the request's trace. */
  const callFor = (req: FastifyRequest) => {
    const span = httpServerSpanOf(req);
    return span ? ctx.callWith({ ...ctx.cause, traceparent: span.traceparent }) : ctx.call;
  };
  const draw = mulberry32(FAILURE_SEED);
  const initialDelay = () => exchangeSettings.value.EXCHANGE_FILL_DELAY_MS;
  /**
   * Client order ids canceled (by client id) before any order with them arrived: a placement of
   * one still in flight (slow) is recorded canceled at once, never filled. In memory, bounded: a
   * simulator's stand-in for what a real exchange would have to guarantee.
   */
  const canceledBeforeArrival = new Set<string>();
  const TOMBSTONES = 10_000;

  /** The slow and failing simulation, before anything is done: true when the request must fail. */
  async function simulate(reply: FastifyReply): Promise<SimulationSettings | undefined> {
    const settings = await getSettings(ctx.db, initialDelay());
    if (settings.latencyMs > 0) await sleep(settings.latencyMs);
    if (settings.failureRatePpm > 0 && failsWith(draw(), settings.failureRatePpm)) {
      problem(reply, 503, 'exchange_unavailable', 'The exchange is unavailable (simulated failure)');
      return undefined;
    }
    return settings;
  }

  app.post(`${EXCHANGE_BASE_PATH}/orders`, guarded, async (req, reply) => {
    const settings = await simulate(reply);
    if (!settings) return reply;
    const body = req.body;
    if (!isValid(PlaceExchangeOrder, body))
      return problem(reply, 400, 'validation_failed', 'Invalid order', validationErrors(PlaceExchangeOrder, body));
    let quantity: bigint;
    let limit: bigint;
    try {
      quantity = parseQuantity(body.quantity);
      limit = parseMoney(body.limitPrice);
    } catch (err) {
      if (err instanceof MoneyFormatError) return problem(reply, 400, 'validation_failed', err.message);
      throw err;
    }
    if (quantity <= 0n)
      return problem(reply, 400, 'validation_failed', 'Quantity must be positive', [
        { path: '/quantity', message: 'must be positive' },
      ]);
    if (limit <= 0n)
      return problem(reply, 400, 'validation_failed', 'Limit price must be positive', [
        { path: '/limitPrice', message: 'must be positive' },
      ]);
    if (body.callbackUrl !== undefined && !isHttpUrl(body.callbackUrl))
      return problem(reply, 400, 'validation_failed', 'callbackUrl must be an http(s) URL', [
        { path: '/callbackUrl', message: 'must be an http or https URL' },
      ]);

    const existing = await findByClientOrderId(ctx.db, body.clientOrderId);
    if (existing) return reply.code(200).send(toExchangeOrder(existing));
    // Only listed instruments trade here: an unknown one is refused (nothing is accepted).
    let quote: string | undefined;
    try {
      quote = (await callFor(req)(marketDataContract, 'getPrices', { assetIds: [body.assetId] }, { timeoutMs: 2000 }))
        .items[0]?.price;
    } catch (err) {
      ctx.log.warn({ err }, 'market-data unavailable at placement');
      return problem(reply, 503, 'exchange_unavailable', 'Prices are unavailable');
    }
    if (quote === undefined) return problem(reply, 422, 'unknown_asset', `${body.assetId} is not traded here`);
    // No fill delay, open, and the price within the limit: filled at placement (the answer says so),
    // unless a cancel by this client order id came first.
    const price = parseMoney(quote);
    const fillNow =
      settings.open &&
      settings.fillDelayMs === 0 &&
      fillsAt(body.side, limit, price) &&
      !canceledBeforeArrival.has(body.clientOrderId);
    const placed = await placeOrder(ctx.db, {
      clientOrderId: body.clientOrderId,
      assetId: body.assetId,
      side: body.side,
      quantity,
      limit,
      ...(fillNow ? { fillPrice: price } : {}),
      ...(body.callbackUrl ? { callback: { url: body.callbackUrl, token: body.callbackToken ?? null } } : {}),
    });
    const { created } = placed;
    let order = placed.order;
    if (created && canceledBeforeArrival.has(body.clientOrderId)) {
      canceledBeforeArrival.delete(body.clientOrderId);
      order = (await cancelByClientOrderId(ctx.db, body.clientOrderId, 'canceled_before_arrival')) ?? order;
    }
    if (created && order.status === 'open') wakeFills();
    return reply.code(created ? 201 : 200).send(toExchangeOrder(order));
  });

  app.get<{ Params: { id: string } }>(`${EXCHANGE_BASE_PATH}/orders/:id`, guarded, async (req, reply) => {
    if (!(await simulate(reply))) return reply;
    const order = await getOrder(ctx.db, req.params.id);
    if (!order) return problem(reply, 404, 'not_found', 'No such order');
    return reply.send(toExchangeOrder(order));
  });

  app.post<{ Params: { id: string } }>(`${EXCHANGE_BASE_PATH}/orders/:id/cancel`, guarded, async (req, reply) => {
    if (!(await simulate(reply))) return reply;
    const canceled = await cancelOrder(ctx.db, req.params.id);
    if (canceled) {
      notifyClient(canceled, ctx.log);
      return reply.send(toExchangeOrder(canceled));
    }
    const order = await getOrder(ctx.db, req.params.id);
    if (!order) return problem(reply, 404, 'not_found', 'No such order');
    // Already canceled: the same answer again. Filled (or rejected): too late, 409 with the order.
    return reply.code(order.status === 'canceled' ? 200 : 409).send(toExchangeOrder(order));
  });

  app.post<{ Params: { clientOrderId: string } }>(
    `${EXCHANGE_BASE_PATH}/orders/by-client-id/:clientOrderId/cancel`,
    guarded,
    async (req, reply) => {
      if (!(await simulate(reply))) return reply;
      const { clientOrderId } = req.params;
      const canceled = await cancelByClientOrderId(ctx.db, clientOrderId);
      if (canceled) {
        notifyClient(canceled, ctx.log);
        return reply.send(toExchangeOrder(canceled));
      }
      const order = await findByClientOrderId(ctx.db, clientOrderId);
      if (!order) {
        if (canceledBeforeArrival.size >= TOMBSTONES)
          canceledBeforeArrival.delete(canceledBeforeArrival.values().next().value!);
        canceledBeforeArrival.add(clientOrderId);
        return problem(reply, 404, 'not_found', 'No order with this client order id');
      }
      // Already canceled: the same answer again. Filled (or rejected): too late, 409 with the order.
      return reply.code(order.status === 'canceled' ? 200 : 409).send(toExchangeOrder(order));
    },
  );

  app.get(`${EXCHANGE_BASE_PATH}/settings`, guarded, async () =>
    toExchangeSettings(await getSettings(ctx.db, initialDelay())),
  );

  app.put(`${EXCHANGE_BASE_PATH}/settings`, guarded, async (req, reply) => {
    const body = req.body ?? {};
    if (!isValid(SettingsUpdate, body))
      return problem(reply, 400, 'validation_failed', 'Invalid settings', validationErrors(SettingsUpdate, body));
    let failureRatePpm: number | undefined;
    if (body.failureRate !== undefined) {
      failureRatePpm = parseFailureRate(body.failureRate);
      if (failureRatePpm === undefined)
        return problem(reply, 400, 'validation_failed', 'failureRate must be between 0 and 1', [
          { path: '/failureRate', message: 'must be a number or decimal string from 0 to 1' },
        ]);
    }
    const updated = await updateSettings(ctx.db, initialDelay(), {
      ...(body.open !== undefined ? { open: body.open } : {}),
      ...(body.latencyMs !== undefined ? { latencyMs: body.latencyMs } : {}),
      ...(failureRatePpm !== undefined ? { failureRatePpm } : {}),
      ...(body.fillDelayMs !== undefined ? { fillDelayMs: body.fillDelayMs } : {}),
    });
    ctx.log.info({ settings: toExchangeSettings(updated) }, 'exchange settings changed');
    // Opened, or the fill delay changed: the fill worker looks at the book again.
    wakeFills();
    return reply.send(toExchangeSettings(updated));
  });
}
