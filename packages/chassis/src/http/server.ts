/**
 * The HTTP server of a process: Fastify on loopback by default, with `/health/live`,
 * `/health/ready` and `/metrics`. In the all-in-one mode it is the gateway's port and serves these
 * for every service of the process; services with HTTP routes (the gateway) add theirs.
 */
import { attributeName } from '../config/naming.ts';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type onRequestHookHandler,
} from 'fastify';
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

/** An incoming X-Request-Id is kept if it looks like one; otherwise the request gets a new one. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

export const PROBLEM_TYPE_BASE = 'https://simplebank.dev/problems/';

/** RFC 9457 problem details, the shape of every error answer (the gateway's `sendProblem` too). */
export function problemDetails(
  status: number,
  code: string,
  detail: string,
  instance: string,
  requestId: string,
): Record<string, unknown> {
  return {
    type: `${PROBLEM_TYPE_BASE}${code}`,
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    instance,
    code,
    requestId,
  };
}

function sendFrameworkProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  code: string,
  detail: string,
): FastifyReply {
  return reply
    .code(status)
    .header('X-Request-Id', request.id)
    .type('application/problem+json; charset=utf-8')
    .send(JSON.stringify(problemDetails(status, code, detail, request.url.split('?')[0] ?? request.url, request.id)));
}

/**
 * What Node's HTTP parser refuses (a bad method or framing, headers too large, a request timeout)
 * never reaches Fastify: the answer is written on the socket here, as problem details, and the
 * connection closed (after a framing error the rest of the bytes cannot be trusted).
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const code = status === 431 ? 'headers_too_large' : status === 408 ? 'request_timeout' : 'bad_request';
  const detail =
    status === 431
      ? 'The request headers are too large'
      : status === 408
        ? 'The request took too long to arrive'
        : 'The request is not valid HTTP';
  const requestId = randomUUID();
  const body = JSON.stringify(problemDetails(status, code, detail, '', requestId));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Whether every %-escape of a query string decodes (Fastify's parser silently keeps bad ones). */
function queryDecodes(url: string): boolean {
  const q = url.indexOf('?');
  if (q < 0) return true;
  try {
    decodeURIComponent(url.slice(q + 1).replace(/\+/g, ' '));
    return true;
  } catch {
    return false;
  }
}

export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const app: FastifyInstance = Fastify({
    loggerInstance: options.log as FastifyBaseLogger,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID();
    },
    clientErrorHandler: answerClientError,
    // Requests are measured by metrics and logged by the routes that matter; not one line each.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Errors Fastify raises before any route runs (a badly encoded URL, an oversized header) are
    // answered as problem details too, never as a bare 500.
    frameworkErrors: (error, req, reply) => {
      const status =
        typeof (error as { statusCode?: number }).statusCode === 'number' &&
        (error as { statusCode: number }).statusCode < 500
          ? (error as { statusCode: number }).statusCode
          : 400;
      sendFrameworkProblem(
        req as FastifyRequest,
        reply as unknown as FastifyReply,
        status,
        status === 414 ? 'uri_too_long' : 'bad_request',
        status === 414 ? 'The URL is too long' : error.message,
      );
    },
  });
  // Every answer carries the request's id (the gateway's routes set theirs again, the same one).
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('X-Request-Id', request.id);
    if (!queryDecodes(request.url)) {
      sendFrameworkProblem(request, reply, 400, 'bad_request', 'The query string has an invalid percent-encoding');
      return;
    }
    done();
  });
  app.setNotFoundHandler((request, reply) =>
    sendFrameworkProblem(request, reply, 404, 'not_found', `No route ${request.method} ${request.url.split('?')[0]}`),
  );
  app.setErrorHandler((error: { statusCode?: number; message: string }, request, reply) => {
    const status =
      typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500
        ? error.statusCode
        : 500;
    if (status === 500) request.log.error({ err: error, requestId: request.id }, 'request failed');
    return sendFrameworkProblem(
      request,
      reply,
      status,
      status === 500 ? 'internal_error' : 'bad_request',
      status === 500 ? `An unexpected error happened; quote request id ${request.id}` : error.message,
    );
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
    attributes: {
      'http.request.method': request.method,
      'url.path': request.url.split('?')[0]!,
      ...(route ? { 'http.route': route } : {}),
    },
  });
  serverSpans.set(request, span);
  const s = span;
  reply.raw.once('close', () => {
    const status = reply.raw.statusCode;
    s.setAttributes({ 'http.response.status_code': status });
    if (!reply.raw.writableFinished) s.setAttributes({ [attributeName('http.aborted')]: true });
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
