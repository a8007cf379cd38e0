/**
 * gateway: the public HTTP API (`/v1`), with its OpenAPI document and interactive docs. No business
 * logic: it validates, authenticates, authorizes by role, and calls the services with the request's
 * identity, deadline and ids; every error is a problem details document.
 */
import { defineService, parseTraceparent, withContext, type BaseContext } from '@simplebank/chassis';
import { customersContract } from '@simplebank/customers/contract';
import fastJson from 'fast-json-stringify';
import type { FastifyInstance } from 'fastify';
import { gatewayContract } from './contract.ts';
import { graphqlRoutes } from './graphql/routes.ts';
import { authenticate, ownAccount, requireAdmin, tokenIssuer } from './http/auth.ts';
import { registerDocs, registerOpenApi } from './http/openapi.ts';
import { handleError, handleNotFound, HttpProblem } from './http/problem.ts';
import { rateLimiter } from './http/rate-limit.ts';
import { GATEWAY_IDENTITY, callFor, deadlineProblem, startRequest, stateOf } from './http/request-context.ts';
import { sessionChecks } from './http/sessions.ts';
import { validatorCompiler } from './http/validation.ts';
import { hasWebApp, webAppRoutes } from './http/web-app.ts';
import { accountRoutes } from './routes/accounts.ts';
import { adminRoutes } from './routes/admin.ts';
import { operationsRoutes } from './routes/operations.ts';
import { signalsRoutes } from './routes/signals.ts';
import { assetRoutes } from './routes/assets.ts';
import { authRoutes } from './routes/auth.ts';
import type { Deps } from './routes/deps.ts';
import { feeRoutes } from './routes/fees.ts';
import { meRoutes } from './routes/me.ts';
import { notificationRoutes } from './routes/notifications.ts';
import { orderRoutes } from './routes/orders.ts';
import { strategyRoutes } from './routes/strategies.ts';
import { streamRoutes } from './routes/stream.ts';
import { investmentRoutes } from './routes/investments.ts';
import { reportRoutes } from './routes/reports.ts';
import { gatewaySettings, jwtSecret } from './settings.ts';

export const BODY_LIMIT = 64 * 1024;

function parseJson(_request: unknown, body: string | Buffer, done: (err: Error | null, value?: unknown) => void): void {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (text.trim() === '') return done(null, undefined);
  try {
    done(
      null,
      JSON.parse(text, (key, value) => {
        if (key === '__proto__' || key === 'constructor') throw new SyntaxError(`Forbidden property name "${key}"`);
        return value;
      }),
    );
  } catch (err) {
    done(new MalformedJson((err as Error).message));
  }
}

class MalformedJson extends Error {
  readonly statusCode = 400;
  readonly code = 'FST_ERR_CTP_INVALID_JSON_BODY';
}

/** The public API as a Fastify plugin: /v1/*, /graphql and /docs, encapsulated (its hooks and handlers apply there only). */
export async function publicApi(app: FastifyInstance, ctx: BaseContext): Promise<void> {
  const settings = gatewaySettings.value;
  const secret = jwtSecret();
  if (!settings.SIMPLEBANK_JWT_SECRET)
    ctx.log.warn('SIMPLEBANK_JWT_SECRET is not set: signing access tokens with the development key');
  const tokens = tokenIssuer(secret, settings.ACCESS_TOKEN_TTL_SECONDS);
  const limit = await rateLimiter(app, settings.GATEWAY_RATE_LIMIT_PER_MINUTE);
  const sessions = sessionChecks(settings.SESSION_CHECK_CACHE_MS);
  const auth = authenticate(tokens, (sessionId, request) =>
    sessions.active(
      sessionId,
      async () =>
        (await callFor(ctx, request, GATEWAY_IDENTITY)(customersContract, 'sessionActive', { sessionId })).active,
    ),
  );
  const deps: Deps = {
    ctx,
    tokens,
    sessions,
    anonymous: { preValidation: [], preHandler: [limit] },
    authed: { preValidation: [auth], preHandler: [limit] },
    ownAccount: { preValidation: [auth, ownAccount(ctx)], preHandler: [limit] },
    admin: { preValidation: [auth, requireAdmin], preHandler: [limit] },
    exchangeUrl: () => settings.EXCHANGE_URL ?? `${ctx.httpAddress()}/exchange`,
  };

  app.setValidatorCompiler(validatorCompiler);
  // A success is serialized by its route's response schema (fast-json-stringify, Fastify's own
  // serializer): a field the schema does not declare never leaves, whatever a service answers. A
  // problem is our error handler's own body, written as it is: compiling a serializer for each of
  // every route's problem statuses cost the process about 20 MB for nothing.
  app.setSerializerCompiler(({ schema, httpStatus }) =>
    /^[2-3]/.test(String(httpStatus))
      ? fastJson(schema as Parameters<typeof fastJson>[0])
      : (data) => JSON.stringify(data),
  );
  app.setErrorHandler(handleError);
  // JSON bodies: an empty one is no body (POST …/cancel sent with a JSON content type), and
  // prototype-polluting keys are refused.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: BODY_LIMIT }, parseJson);
  app.addHook('onRequest', startRequest(settings.GATEWAY_DEFAULT_DEADLINE_MS));
  // The rest of the request runs in its logging context: every log line carries its request id.
  app.addHook('onRequest', (request, _reply, done) => {
    const state = stateOf(request);
    const trace = parseTraceparent(state.traceparent);
    withContext(
      {
        service: 'gateway',
        requestId: state.requestId,
        correlationId: state.requestId,
        traceparent: state.traceparent,
        deadline: state.deadline,
        ...(trace ? { traceId: trace.traceId, spanId: trace.spanId } : {}),
      },
      done,
    );
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unknown';
    ctx.metrics.httpServerDuration.observe(
      { service: 'gateway', method: request.method, route, status_class: `${Math.floor(reply.statusCode / 100)}xx` },
      reply.elapsedTime / 1000,
    );
    ctx.log.debug(
      { method: request.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request served',
    );
  });
  app.addHook('onRequest', async (request) => {
    const problem = deadlineProblem(request);
    if (problem)
      throw new HttpProblem(400, 'validation_failed', problem, {}, [
        { path: 'headers/x-deadline-ms', message: problem },
      ]);
  });

  await registerOpenApi(app);
  await app.register(
    async (v1) => {
      v1.setNotFoundHandler(handleNotFound);
      await authRoutes(v1, deps);
      await meRoutes(v1, deps);
      await accountRoutes(v1, deps);
      await assetRoutes(v1, deps);
      await orderRoutes(v1, deps);
      await feeRoutes(v1, deps);
      await notificationRoutes(v1, deps);
      await strategyRoutes(v1, deps);
      await investmentRoutes(v1, deps);
      await reportRoutes(v1, deps);
      await adminRoutes(v1, deps);
      await operationsRoutes(v1, deps);
      await signalsRoutes(v1, deps);
      await streamRoutes(v1, deps);
      v1.get('/openapi.json', { schema: { hide: true } }, async (_request, reply) =>
        reply.type('application/json; charset=utf-8').send(app.swagger()),
      );
    },
    { prefix: '/v1' },
  );
  await graphqlRoutes(app, deps);
  await registerDocs(app);
}

export const gatewayService = defineService({
  contract: gatewayContract,
  settings: [gatewaySettings],
  rpc: {},
  http: async (app, ctx) => {
    await app.register(async (scope) => publicApi(scope, ctx));
    const webApp = gatewaySettings.value.WEB_APP_DIR;
    if (hasWebApp(webApp)) await app.register(async (scope) => webAppRoutes(scope, webApp));
    else if (webApp)
      ctx.log.warn(
        { dir: webApp },
        'WEB_APP_DIR has no index.html (build it: npm run build -w @simplebank/web): serving the API only',
      );
  },
});
