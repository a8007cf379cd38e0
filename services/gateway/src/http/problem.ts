/**
 * RFC 9457 problem details for every error of the public API, and the mapping from what went
 * wrong (a validation failure, a refused token, a service's AppError, a fault) to the answer.
 * Bad input never becomes a 5xx; an unexpected fault becomes a generic 500 logged with the request id.
 */
import { AppError, toAppError, type FieldError } from '@simplebank/chassis';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { requestIdOf } from './request-context.ts';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: string;
  requestId?: string;
  errors?: FieldError[];
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export const PROBLEM_TYPE_BASE = 'https://simplebank.dev/problems/';

/** An error the gateway itself raises with a chosen status, code and headers. */
export class HttpProblem extends AppError {
  constructor(
    status: number,
    code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    errors?: FieldError[],
  ) {
    super(code, message, { status, ...(errors ? { errors } : {}) });
  }
}

/** What a problem says: its status, code and detail, and optionally the fields at fault and headers (Retry-After). */
export interface Problem {
  status: number;
  code: string;
  detail: string;
  errors?: FieldError[] | undefined;
  headers?: Record<string, string>;
}

export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  { status, code, detail, errors, headers = {} }: Problem,
): FastifyReply {
  const body: ProblemBody = {
    type: `${PROBLEM_TYPE_BASE}${code}`,
    title: TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Request Error'),
    status,
    detail,
    instance: request.url.split('?')[0] ?? request.url,
    code,
  };
  const requestId = requestIdOf(request);
  if (requestId) body.requestId = requestId;
  if (errors) body.errors = errors;
  for (const [k, v] of Object.entries(headers)) reply.header(k, v);
  return reply.code(status).type('application/problem+json; charset=utf-8').send(JSON.stringify(body));
}

/** Validation errors of Fastify's request checks (our validator compiler attaches `errors`). */
function validationProblem(err: FastifyError & { errors?: FieldError[]; validationContext?: string }): {
  detail: string;
  errors: FieldError[];
} {
  const where = err.validationContext ?? 'request';
  const errors = (err.errors ?? []).map((e) => ({
    path: `${where}${e.path === '/' ? '' : e.path}`,
    message: e.message,
  }));
  const names: Record<string, string> = {
    body: 'request body',
    query: 'query string',
    params: 'path parameters',
    headers: 'headers',
  };
  return {
    detail: `Invalid ${names[where] ?? where}`,
    errors: errors.length > 0 ? errors : [{ path: where, message: err.message }],
  };
}

/** The error handler of the public API. */
export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const err = error as FastifyError & {
    errors?: FieldError[];
    validationContext?: string;
    headers?: Record<string, string>;
  };
  // Our own validation (request schemas).
  if (err.code === 'FST_ERR_VALIDATION' || err.validationContext) {
    const { detail, errors } = validationProblem(err);
    return sendProblem(request, reply, { status: 400, code: 'validation_failed', detail, errors });
  }
  // Fastify's body handling: too large, malformed JSON, wrong media type.
  if (typeof err.code === 'string' && err.code.startsWith('FST_ERR_CTP_')) {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return sendProblem(request, reply, {
        status: 413,
        code: 'payload_too_large',
        detail: 'The request body is larger than 64 KiB',
      });
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      return sendProblem(request, reply, {
        status: 415,
        code: 'unsupported_media_type',
        detail: 'Send JSON with Content-Type: application/json',
      });
    return sendProblem(request, reply, {
      status: 400,
      code: 'malformed_request',
      detail: `The request body is not valid JSON: ${err.message}`,
      errors: [{ path: 'body', message: err.message }],
    });
  }
  if (err instanceof SyntaxError)
    return sendProblem(request, reply, {
      status: 400,
      code: 'malformed_request',
      detail: 'The request body is not valid JSON',
      errors: [{ path: 'body', message: err.message }],
    });
  if (err instanceof HttpProblem)
    return sendProblem(request, reply, {
      status: err.status,
      code: err.code,
      detail: err.message,
      errors: err.errors,
      headers: err.headers,
    });
  if (err instanceof AppError) return appErrorProblem(err, request, reply);
  // Fastify's other client errors (bad headers, unsupported encodings…) stay client errors.
  const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
  if (status >= 400 && status < 500)
    return sendProblem(request, reply, { status, code: 'bad_request', detail: err.message });
  // A transient failure of the gateway's own (its database restarting, a conflict): 503 with Retry-After.
  const app = toAppError(err);
  if (app.retryable) return appErrorProblem(app, request, reply);
  return internal(err, request, reply);
}

/** A service's answer: its status and code go through; unavailability becomes 503, a passed deadline 504, both with Retry-After. */
function appErrorProblem(err: AppError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err.code === 'overloaded') {
    // Admission control or load shedding: a fast, deliberate refusal, not a failure.
    return sendProblem(request, reply, {
      status: 503,
      code: 'overloaded',
      detail: 'SimpleBank is at capacity; retry later',
      headers: { 'Retry-After': '1' },
    });
  }
  if (err.code === 'deadline_exceeded') {
    request.log.warn({ requestId: requestIdOf(request), code: err.code, err: err.message }, 'deadline exceeded');
    return sendProblem(request, reply, {
      status: 504,
      code: 'deadline_exceeded',
      detail: 'The request did not finish within its time budget (X-Deadline-Ms); retry later',
      headers: { 'Retry-After': '1' },
    });
  }
  if (err.status === 503 || err.status === 504) {
    request.log.warn({ requestId: requestIdOf(request), code: err.code, err: err.message }, 'dependency unavailable');
    return sendProblem(request, reply, {
      status: 503,
      code: 'service_unavailable',
      detail: 'A service needed for this request is unavailable; retry later',
      headers: { 'Retry-After': '1' },
    });
  }
  if (err.status >= 400 && err.status < 500) {
    return sendProblem(request, reply, {
      status: err.status,
      code: err.code,
      detail: err.message,
      errors: err.errors && err.errors.length > 0 ? err.errors : err.code === 'validation_failed' ? [] : undefined,
    });
  }
  return internal(err, request, reply);
}

function internal(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const requestId = requestIdOf(request);
  request.log.error({ requestId, err, code: (err as AppError).code }, 'request failed');
  return sendProblem(request, reply, {
    status: 500,
    code: 'internal_error',
    detail: `An unexpected error happened; quote request id ${requestId ?? 'unknown'}`,
  });
}

export function handleNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendProblem(request, reply, {
    status: 404,
    code: 'not_found',
    detail: `No route ${request.method} ${request.url.split('?')[0]}`,
  });
}
