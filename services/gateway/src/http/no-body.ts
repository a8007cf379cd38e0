/**
 * Routes that take no request body (POST …/cancel, POST …/read): no body, an empty one, or `{}` is
 * fine; anything else is refused with 400 — a client sending fields there expects them to matter.
 */
import type { FastifyRequest } from 'fastify';
import { HttpProblem } from './problem.ts';

export async function refuseBody(request: FastifyRequest): Promise<void> {
  const body = request.body;
  if (body === undefined || body === null) return;
  if (typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0) return;
  if (typeof body === 'string' && body.trim() === '') return;
  throw new HttpProblem(400, 'validation_failed', 'This endpoint takes no request body', {}, [
    { path: 'body', message: 'must be empty' },
  ]);
}
