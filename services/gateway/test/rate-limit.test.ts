/** The per-customer (per-IP when anonymous) rate limit. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem } from '../src/http/problem.ts';
import { rateLimiter } from '../src/http/rate-limit.ts';
import { stateOf } from '../src/http/request-context.ts';

function request(ip: string, customerId?: string): FastifyRequest {
  const r = { ip, url: '/v1/x', headers: {} } as unknown as FastifyRequest;
  if (customerId) stateOf(r).identity = { customerId, role: 'customer' };
  return r;
}
const reply = () => {
  const headers: Record<string, string> = {};
  return { headers, header: (k: string, v: string) => ((headers[k] = v), undefined) } as unknown as FastifyReply & { headers: Record<string, string> };
};

describe('rate limit', () => {
  it('lets N requests a minute through per customer, then answers 429 rate_limited with Retry-After and RateLimit headers', async () => {
    const limit = rateLimiter(3);
    for (let i = 0; i < 3; i++) {
      const r = reply();
      await limit(request('10.0.0.1', 'alice'), r);
      assert.equal(r.headers['RateLimit-Remaining'], String(2 - i));
    }
    await assert.rejects(limit(request('10.0.0.1', 'alice'), reply()), (err: unknown) => {
      assert.ok(err instanceof HttpProblem);
      assert.equal(err.status, 429);
      assert.equal(err.code, 'rate_limited');
      assert.ok(Number(err.headers['Retry-After']) >= 1);
      assert.equal(err.headers['RateLimit-Limit'], '3');
      assert.equal(err.headers['RateLimit-Remaining'], '0');
      return true;
    });
    // Another customer from the same address has their own budget; anonymous requests count per IP.
    await limit(request('10.0.0.1', 'bob'), reply());
    await limit(request('10.0.0.1'), reply());
  });

  it('is off with a limit of 0', async () => {
    const limit = rateLimiter(0);
    for (let i = 0; i < 100; i++) await limit(request('10.0.0.2', 'carol'), reply());
  });
});
