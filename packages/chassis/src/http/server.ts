/**
 * The HTTP server of a process: Fastify on loopback by default, with `/health/live`,
 * `/health/ready` and `/metrics`. In the all-in-one mode it is the gateway's port and serves these
 * for every service of the process; services with HTTP routes (the gateway) add theirs.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest, type onRequestHookHandler } from 'fastify';
import { withContext } from '../observability/context.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { SpanKind, startSpan, type ActiveSpan } from '../observability/tracing.ts';

export interface ReadinessReport {
  ready: boolean;
  checks: Array<{ name: string; ready: boolean; detail?: string }>;
}

export interface HttpServerOptions {
  log: Logger;
  metrics: Metrics;
  readiness: () => ReadinessReport | Promise<ReadinessReport>;
  /** Largest accepted request body; larger gets 413. */
  bodyLimit?: number;
}

export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const app: FastifyInstance = Fastify({
    loggerInstance: options.log as FastifyBaseLogger,
    // Requests are measured by metrics and logged by the routes that matter; not one line each.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Errors Fastify raises before any route runs (a badly encoded URL, an oversized header) are
    // answered as problem details too, never as a bare 500.
    frameworkErrors: (error, req, reply) => {
      const status = typeof (error as { statusCode?: number }).statusCode === 'number' && (error as { statusCode: number }).statusCode < 500 ? (error as { statusCode: number }).statusCode : 400;
      const r = reply as unknown as { code(n: number): typeof r; type(t: string): typeof r; send(body: unknown): unknown };
      r.code(status).type('application/problem+json').send({ type: 'about:blank', title: 'Bad request', status, detail: error.message, instance: req.url, code: 'bad_request' });
    },
  });
  app.get('/health/live', async () => ({ status: 'live' }));
  app.get('/health/ready', async (_req, reply) => {
    const report = await options.readiness();
    reply.code(report.ready ? 200 : 503);
    return { status: report.ready ? 'ready' : 'not_ready', checks: report.checks };
  });
  app.get('/metrics', async (_req, reply) => {
    const { contentType, body } = await options.metrics.render();
    reply.header('content-type', contentType);
    return body;
  });
  return app;
}

const serverSpans = new WeakMap<FastifyRequest, ActiveSpan>();

/**
 * The server span of an HTTP request (started once): continues an incoming W3C `traceparent`
 * header, else starts a new trace; ends when the response is sent or the connection goes, with the
 * status code (5xx = error).
 */
export function httpServerSpan(service: string, request: FastifyRequest, reply: FastifyReply): ActiveSpan {
  let span = serverSpans.get(request);
  if (span) return span;
  const header = request.headers.traceparent;
  const route = request.routeOptions.url;
  span = startSpan(service, route ? `${request.method} ${route}` : request.method, {
    kind: SpanKind.SERVER,
    parent: Array.isArray(header) ? header[0] : header,
    attributes: { 'http.request.method': request.method, 'url.path': request.url.split('?')[0]!, ...(route ? { 'http.route': route } : {}) },
  });
  serverSpans.set(request, span);
  const s = span;
  reply.raw.once('close', () => {
    const status = reply.raw.statusCode;
    s.setAttributes({ 'http.response.status_code': status });
    if (!reply.raw.writableFinished) s.setAttributes({ 'simplebank.http.aborted': true });
    if (status >= 500) s.fail(new Error(`HTTP ${status}`));
    s.end();
  });
  return span;
}

export function httpServerSpanOf(request: FastifyRequest): ActiveSpan | undefined {
  return serverSpans.get(request);
}

/**
 * An onRequest hook for a service's HTTP routes: a server span per request, and the rest of the
 * request runs in a work context carrying its ids (log lines, outgoing calls' parents).
 */
export function traceRequests(service: string): onRequestHookHandler {
  return (request, reply, done) => {
    const span = httpServerSpan(service, request, reply);
    withContext({ service, ...span.logFields }, done);
  };
}
