/** The per-customer (per-IP when anonymous) rate limit, on a Fastify server as the gateway mounts it. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { handleError } from '../src/http/problem.ts';
import { rateLimiter } from '../src/http/rate-limit.ts';
import { stateOf } from '../src/http/request-context.ts';

/** A route behind the limiter; `x-customer` stands for an authenticated customer. */
async function server(perMinute: number): Promise<FastifyInstance> {
  const app = Fastify();
  app.setErrorHandler(handleError);
  await app.register(async (api) => {
    const limit = await rateLimiter(api, perMinute);
    api.get('/v1/x', {
      preValidation: async (request) => {
        const customerId = request.headers['x-customer'];
        if (typeof customerId === 'string') stateOf(request).identity = { customerId, role: 'customer' };
      },
      preHandler: [limit],
      handler: async () => ({ ok: true }),
    });
  });
  return app;
}

let limited: FastifyInstance;
let unlimited: FastifyInstance;
before(async () => {
  limited = await server(3);
  unlimited = await server(0);
});
after(async () => {
  await limited.close();
  await unlimited.close();
});

const get = (app: FastifyInstance, customer?: string, ip = '10.0.0.1') =>
  app.inject({ method: 'GET', url: '/v1/x', remoteAddress: ip, headers: customer ? { 'x-customer': customer } : {} });

describe('rate limit', () => {
  it('lets N requests a minute through per customer, then answers 429 rate_limited with Retry-After and RateLimit headers', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await get(limited, 'alice');
      assert.equal(r.statusCode, 200, r.body);
      assert.equal(r.headers['ratelimit-remaining'], String(2 - i));
      assert.equal(r.headers['ratelimit-limit'], '3');
    }
    const refused = await get(limited, 'alice');
    assert.equal(refused.statusCode, 429);
    assert.match(String(refused.headers['content-type']), /application\/problem\+json/);
    assert.equal(refused.json().code, 'rate_limited');
    assert.ok(Number(refused.headers['retry-after']) >= 1);
    assert.equal(refused.headers['ratelimit-limit'], '3');
    assert.equal(refused.headers['ratelimit-remaining'], '0');
    // Another customer from the same address has their own budget; anonymous requests count per IP.
    assert.equal((await get(limited, 'bob')).statusCode, 200);
    for (let i = 0; i < 3; i++) assert.equal((await get(limited, undefined, '10.0.0.9')).statusCode, 200);
    assert.equal((await get(limited, undefined, '10.0.0.9')).statusCode, 429);
    assert.equal((await get(limited, undefined, '10.0.0.10')).statusCode, 200);
  });

  it('is off with a limit of 0', async () => {
    for (let i = 0; i < 100; i++) assert.equal((await get(unlimited, 'carol')).statusCode, 200);
  });
});
