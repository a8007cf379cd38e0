/**
 * OpenAPI 3.1 from the same route schemas that validate requests (@fastify/swagger), served at
 * GET /v1/openapi.json, and the interactive docs at /docs (@fastify/swagger-ui). Errors are
 * documented as problem details (application/problem+json).
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { Problem } from './schemas.ts';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request (validation_failed, malformed_request)',
  401: 'Missing, invalid or expired access token (unauthorized)',
  403: 'Not allowed for this role (forbidden)',
  404: 'No such resource, or not yours (not_found)',
  409: 'Conflict (e.g. idempotency_key_reused, email_taken, order_not_cancelable)',
  413: 'Request body over 64 KiB (payload_too_large)',
  422: 'A business rule refused it (e.g. insufficient_funds)',
  429: 'Too many requests (rate_limited), with Retry-After',
  500: 'Unexpected error (internal_error)',
  503: 'A dependency is unavailable (service_unavailable), or SimpleBank is at capacity (overloaded), with Retry-After',
  504: 'The request did not finish within its time budget, X-Deadline-Ms or the default (deadline_exceeded), with Retry-After',
};

/** Problem-details responses for the given statuses (plus the ones every route can answer). */
export function problems(...statuses: number[]): Record<number, unknown> {
  const all = [...new Set([400, 429, 500, 503, 504, ...statuses])].sort();
  return Object.fromEntries(
    all.map((s) => [
      s,
      { description: DESCRIPTIONS[s] ?? 'Problem', content: { 'application/problem+json': { schema: Problem } } },
    ]),
  );
}

/** Registers the generator; call before any route so it sees them all. */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'SimpleBank API',
        version: '1.0.0',
        description:
          'The public HTTP API of SimpleBank. JSON in and out; money as decimal strings with two decimals; errors as RFC 9457 problem details. ' +
          'Every response carries X-Request-Id; send X-Deadline-Ms to bound the time spent; send Idempotency-Key on POSTs that create something.',
      },
      servers: [{ url: '/' }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      tags: [
        'auth',
        'profile',
        'accounts',
        'payments',
        'market data',
        'orders',
        'fees',
        'notifications',
        'strategies',
        'investments',
        'reports',
        'admin',
      ].map((name) => ({ name })),
    },
    hideUntagged: false,
  });
}

export async function registerDocs(app: FastifyInstance): Promise<void> {
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });
}
