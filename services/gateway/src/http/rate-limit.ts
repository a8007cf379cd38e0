/**
 * Rate limits per customer (per IP before authentication): a fixed one-minute window, in memory
 * (per gateway instance). Over the limit: 429 rate_limited with Retry-After and the RateLimit-*
 * headers.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem } from './problem.ts';
import { stateOf } from './request-context.ts';

export function rateLimiter(perMinute: number) {
  let windowStart = 0;
  let counts = new Map<string, number>();
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (perMinute <= 0) return;
    const now = Date.now();
    if (now - windowStart >= 60_000) {
      windowStart = now - (now % 60_000);
      counts = new Map();
    }
    const identity = stateOf(request).identity;
    const key = identity ? `c:${identity.customerId}` : `ip:${request.ip}`;
    const used = (counts.get(key) ?? 0) + 1;
    counts.set(key, used);
    const reset = Math.max(1, Math.ceil((windowStart + 60_000 - now) / 1000));
    const headers = { 'RateLimit-Limit': String(perMinute), 'RateLimit-Remaining': String(Math.max(0, perMinute - used)), 'RateLimit-Reset': String(reset) };
    if (used > perMinute) throw new HttpProblem(429, 'rate_limited', `More than ${perMinute} requests a minute: retry in ${reset} s`, { ...headers, 'Retry-After': String(reset) });
    for (const [k, v] of Object.entries(headers)) reply.header(k, v);
  };
}
