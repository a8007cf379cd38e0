/**
 * Idempotency-Key (1–255 characters) on the POSTs that create something. The key handed to the
 * service's idempotent method is scoped to the customer (`${customerId}:${key}`), so two customers'
 * keys never meet; the service's chassis answers a repeat with the first answer and another body
 * with 409 idempotency_key_reused. Without the header the request gets a fresh key: served, not
 * deduplicated.
 */
import { randomUUID } from 'node:crypto';
import { T } from '@simplebank/chassis';
import type { FastifyRequest } from 'fastify';
import { HttpProblem } from './problem.ts';

export const IdempotencyKeyHeader = 'idempotency-key';

/** The header's schema, for the OpenAPI document of every route that takes it. */
export const IdempotencyHeaders = T.Object({
  [IdempotencyKeyHeader]: T.Optional(
    T.String({
      minLength: 1,
      maxLength: 255,
      description: 'Same key and body within 24 h (keys are kept 7 days): the first answer again',
    }),
  ),
});

export function idempotencyKeyFor(request: FastifyRequest, customerId: string): string {
  const raw = request.headers[IdempotencyKeyHeader];
  if (raw === undefined) return `${customerId}:${randomUUID()}`;
  const key = Array.isArray(raw) ? raw[0] : raw;
  if (Array.isArray(raw) && raw.length > 1) throw badKey('Send one Idempotency-Key header');
  if (key === undefined || key.length < 1 || key.length > 255) throw badKey('Idempotency-Key must be 1–255 characters');
  if (!/^[\x20-\x7e]+$/.test(key)) throw badKey('Idempotency-Key must be printable ASCII');
  return `${customerId}:${key}`;
}

function badKey(message: string): HttpProblem {
  return new HttpProblem(400, 'validation_failed', message, {}, [{ path: 'headers/idempotency-key', message }]);
}
