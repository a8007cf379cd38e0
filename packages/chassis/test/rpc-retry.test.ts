import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AppError, MemoryTransport, Metrics, T, caller, defineContract, rpc, type Envelope, type RpcReply } from '../src/index.ts';

const contract = defineContract({
  service: 'flaky',
  rpc: {
    put: rpc({ request: T.Object({ n: T.Number() }), response: T.Object({ n: T.Number() }), idempotent: true }),
    peek: rpc({ request: T.Object({ n: T.Number() }), response: T.Object({ n: T.Number() }) }),
  },
});

const unavailable: RpcReply = { ok: false, error: { code: 'service_unavailable', status: 503, message: 'try later', retryable: true } };
const business: RpcReply = { ok: false, error: { code: 'insufficient_funds', status: 422, message: 'no', retryable: false } };

describe('RPC retries in caller', () => {
  const transport = new MemoryTransport();
  /** The server's plan: the replies to give, in order (then success). */
  let plan: RpcReply[] = [];
  let seen: Envelope<{ n: number }>[] = [];
  const fast = { maxAttempts: 3, backoff: { baseMs: 1, capMs: 2 } };

  before(async () => {
    await transport.connect();
    await transport.serve(
      'flaky',
      async (body) => {
        const env = JSON.parse(body) as Envelope<{ n: number }>;
        seen.push(env);
        const reply = plan.shift() ?? { ok: true, data: { n: env.data.n } };
        return JSON.stringify(reply);
      },
      { concurrency: 4 },
    );
  });
  after(() => transport.close());

  function reset(replies: RpcReply[]) {
    plan = [...replies];
    seen = [];
  }

  it('an idempotent method answered unavailable twice is retried, with the same idempotency key, and succeeds', async () => {
    reset([unavailable, unavailable]);
    const call = caller(transport, 'test', () => undefined, { retry: fast });
    const res = await call(contract, 'put', { n: 7 }, { idempotencyKey: 'k-1' });
    assert.deepEqual(res, { n: 7 });
    assert.equal(seen.length, 3);
    assert.deepEqual(
      seen.map((e) => e.idempotencyKey),
      ['k-1', 'k-1', 'k-1'],
    );
  });

  it('gives up after 3 attempts', async () => {
    reset([unavailable, unavailable, unavailable, unavailable]);
    const call = caller(transport, 'test', () => undefined, { retry: fast });
    await assert.rejects(call(contract, 'put', { n: 1 }, { idempotencyKey: 'k-2' }), (err: unknown) => err instanceof AppError && err.code === 'service_unavailable');
    assert.equal(seen.length, 3);
  });

  it('a non-idempotent method fails after one attempt', async () => {
    reset([unavailable]);
    const call = caller(transport, 'test', () => undefined, { retry: fast });
    await assert.rejects(call(contract, 'peek', { n: 1 }), (err: unknown) => err instanceof AppError && err.code === 'service_unavailable');
    assert.equal(seen.length, 1);
  });

  it('a business error is not retried', async () => {
    reset([business]);
    const call = caller(transport, 'test', () => undefined, { retry: fast });
    await assert.rejects(call(contract, 'put', { n: 1 }, { idempotencyKey: 'k-3' }), (err: unknown) => err instanceof AppError && err.code === 'insufficient_funds');
    assert.equal(seen.length, 1);
  });

  it('no route (no instance serves the method) is retried for an idempotent method', async () => {
    const lonely = new MemoryTransport();
    await lonely.connect();
    let attempts = 0;
    const counting = { request: (s: string, b: string, o: { timeoutMs: number }) => ((attempts += 1), lonely.request(s, b, o)) } as unknown as MemoryTransport;
    const call = caller(counting, 'test', () => undefined, { retry: fast });
    await assert.rejects(call(contract, 'put', { n: 1 }, { idempotencyKey: 'k-4' }), (err: unknown) => err instanceof AppError && err.retryable);
    assert.equal(attempts, 3);
    await lonely.close();
  });

  it('no retry starts past the deadline', async () => {
    reset([unavailable, unavailable]);
    // The back-off always waits its full bound (random = 1), far longer than the deadline leaves.
    const call = caller(transport, 'test', () => ({ correlationId: 'c', deadline: Date.now() + 2000 }), { retry: { maxAttempts: 3, backoff: { baseMs: 60_000, capMs: 60_000 }, random: () => 1 } });
    await assert.rejects(call(contract, 'put', { n: 1 }, { idempotencyKey: 'k-5' }), (err: unknown) => err instanceof AppError && err.code === 'service_unavailable');
    assert.equal(seen.length, 1);
  });

  it('records each call (retries included once) in simplebank_rpc_client_duration_seconds, by target, method and outcome', async () => {
    const metrics = new Metrics();
    const call = caller(transport, 'test', () => undefined, { retry: fast, metrics });
    reset([unavailable]);
    await call(contract, 'put', { n: 1 }, { idempotencyKey: 'k-6' });
    reset([business]);
    await assert.rejects(call(contract, 'peek', { n: 1 }));
    const { body } = await metrics.render();
    assert.match(body, /simplebank_rpc_client_duration_seconds_count\{service="test",target="flaky",method="put",outcome="ok"\} 1\n/);
    assert.match(body, /simplebank_rpc_client_duration_seconds_count\{service="test",target="flaky",method="peek",outcome="client_error"\} 1\n/);
  });
});
