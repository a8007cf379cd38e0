/**
 * Rate limits per customer (per IP before authentication), counted by @fastify/rate-limit: a
 * one-minute window per key, in memory (per gateway instance; its store is an LRU of keys, so a
 * flood of distinct keys cannot grow it without bound). Over the limit: 429 rate_limited as
 * problem details, with Retry-After and the RateLimit-* headers; under it, the headers alone.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem } from './problem.ts';
import { stateOf } from './request-context.ts';

export type RateLimit = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** The preHandler of every public route (after authentication: a customer's budget is their own). */
export async function rateLimiter(app: FastifyInstance, perMinute: number): Promise<RateLimit> {
  if (perMinute <= 0) return async () => {};
  await app.register(rateLimit, { global: false });
  const count = app.createRateLimit({
    max: perMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => {
      const identity = stateOf(request).identity;
      return identity ? `c:${identity.customerId}` : `ip:${request.ip}`;
    },
  });
  return async (request, reply) => {
    const r = await count(request);
    if (r.isAllowed) return; // an allow-listed key (none is configured)
    const reset = Math.max(1, r.ttlInSeconds);
    const headers = {
      'RateLimit-Limit': String(r.max),
      'RateLimit-Remaining': String(r.remaining),
      'RateLimit-Reset': String(reset),
    };
    if (r.isExceeded)
      throw new HttpProblem(429, 'rate_limited', `More than ${perMinute} requests a minute: retry in ${reset} s`, {
        ...headers,
        'Retry-After': String(reset),
      });
    for (const [k, v] of Object.entries(headers)) reply.header(k, v);
  };
}
