import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  AppError,
  MemoryTransport,
  Metrics,
  T,
  breakers,
  bulkheads,
  caller,
  defineContract,
  rpc,
  type Envelope,
  type RpcReply,
} from '../src/index.ts';

const contract = defineContract({
  service: 'flaky',
  rpc: {
    put: rpc({ request: T.Object({ n: T.Number() }), response: T.Object({ n: T.Number() }), idempotent: true }),
    peek: rpc({ request: T.Object({ n: T.Number() }), response: T.Object({ n: T.Number() }) }),
  },
});

const unavailable: RpcReply = {
  ok: false,
  error: { code: 'service_unavailable', status: 503, message: 'try later', retryable: true },
};
const business: RpcReply = {
  ok: false,
  error: { code: 'insufficient_funds', status: 422, message: 'no', retryable: false },
};

describe('RPC retries and breakers in caller', () => {
  const transport = new MemoryTransport();
  /** The server's plan: the replies to give, in order (then success). */
  let plan: RpcReply[] = [];
  let seen: Envelope<{ n: number }>[] = [];
  const fast = { targets: { flaky: { maxAttempts: 3, backoff: { baseMs: 1, capMs: 2 } } } };

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

  // Each case starts with the target's breaker closed (the process keeps one per (service, target)).
  beforeEach(() => {
    breakers.clear();
    bulkheads.clear();
  });

  function reset(replies: RpcReply[]) {
    plan = [...replies];
    seen = [];
  }

  it('an idempotent method answered unavailable twice is retried, with the same idempotency key, and succeeds', async () => {
    reset([unavailable, unavailable]);
    const call = caller(transport, 'test', () => undefined, fast);
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
    const call = caller(transport, 'test', () => undefined, fast);
    await assert.rejects(
      call(contract, 'put', { n: 1 }, { idempotencyKey: 'k-2' }),
      (err: unknown) => err instanceof AppError && err.code === 'service_unavailable',
    );
    assert.equal(seen.length, 3);
  });

  it('a non-idempotent method fails after one attempt', async () => {
    reset([unavailable]);
    const call = caller(transport, 'test', () => undefined, fast);
    await assert.rejects(
      call(contract, 'peek', { n: 1 }),
      (err: unknown) => err instanceof AppError && err.code === 'service_unavailable',
    );
    assert.equal(seen.length, 1);
  });

  it('a business error is not retried', async () => {
    reset([business]);
    const call = caller(transport, 'test', () => undefined, fast);
    await assert.rejects(
      call(contract, 'put', { n: 1 }, { idempotencyKey: 'k-3' }),
      (err: unknown) => err instanceof AppError && err.code === 'insufficient_funds',
    );
    assert.equal(seen.length, 1);
  });

  it('no route (no instance serves the method) is retried for an idempotent method', async () => {
    const lonely = new MemoryTransport();
    await lonely.connect();
    let attempts = 0;
    const counting = {
      request: (s: string, b: string, o: { timeoutMs: number }) => ((attempts += 1), lonely.request(s, b, o)),
    } as unknown as MemoryTransport;
    const call = caller(counting, 'test', () => undefined, fast);
    await assert.rejects(
      call(contract, 'put', { n: 1 }, { idempotencyKey: 'k-4' }),
      (err: unknown) => err instanceof AppError && err.retryable,
    );
    assert.equal(attempts, 3);
    await lonely.close();
  });

  it('no retry starts past the deadline', async () => {
    reset([unavailable, unavailable]);
    // The back-off always waits its full bound (random = 1), far longer than the deadline leaves.
    const call = caller(transport, 'test', () => ({ correlationId: 'c', deadline: Date.now() + 2000 }), {
      targets: { flaky: { maxAttempts: 3, backoff: { baseMs: 60_000, capMs: 60_000 }, random: () => 1 } },
    });
    await assert.rejects(
      call(contract, 'put', { n: 1 }, { idempotencyKey: 'k-5' }),
      (err: unknown) => err instanceof AppError && err.code === 'service_unavailable',
    );
    assert.equal(seen.length, 1);
  });

  it("a target that keeps failing trips the caller's breaker: later calls are refused at once, without reaching it, until a probe succeeds", async () => {
    const settings = { targets: { flaky: { maxAttempts: 1, breaker: { minimumCalls: 4, halfOpenAfterMs: 50 } } } };
    const call = caller(transport, 'test', () => undefined, settings);
    reset([unavailable, unavailable, unavailable, unavailable]);
    for (let i = 0; i < 4; i++)
      await assert.rejects(
        call(contract, 'peek', { n: i }),
        (err: unknown) => err instanceof AppError && err.code === 'service_unavailable',
      );
    assert.equal(seen.length, 4);
    await assert.rejects(
      call(contract, 'peek', { n: 5 }),
      (err: unknown) =>
        err instanceof AppError &&
        err.code === 'dependency_unavailable' &&
        err.retryable &&
        /flaky breaker open/.test(err.message),
    );
    assert.equal(seen.length, 4, 'the open breaker sent nothing');
    assert.equal(breakers.find('test', 'flaky')?.state, 'open');
    // After the back-off one probe goes; its success closes the breaker.
    await new Promise((r) => setTimeout(r, 120));
    assert.deepEqual(await call(contract, 'peek', { n: 6 }), { n: 6 });
    assert.equal(breakers.find('test', 'flaky')?.state, 'closed');
  });

  it("a target whose own dependency is away (dependency_unavailable) is not tripped: the caller's breaker stays closed", async () => {
    const downstream: RpcReply = {
      ok: false,
      error: { code: 'dependency_unavailable', status: 503, message: 'ledger breaker open', retryable: true },
    };
    const call = caller(transport, 'test', () => undefined, { targets: { flaky: { breaker: { minimumCalls: 2 } } } });
    reset([downstream, downstream, downstream, downstream]);
    for (let i = 0; i < 4; i++)
      await assert.rejects(
        call(contract, 'put', { n: i }, { idempotencyKey: `dep-${i}` }),
        (err: unknown) => err instanceof AppError && err.code === 'dependency_unavailable' && err.retryable,
      );
    assert.equal(seen.length, 4, 'not retried here either: the work that needs it tries again later');
    assert.equal(breakers.find('test', 'flaky')?.state, 'closed');
  });

  it('a business error does not count against the breaker', async () => {
    const call = caller(transport, 'test', () => undefined, { targets: { flaky: { breaker: { minimumCalls: 2 } } } });
    reset([business, business, business, business]);
    for (let i = 0; i < 4; i++)
      await assert.rejects(
        call(contract, 'peek', { n: i }),
        (err: unknown) => err instanceof AppError && err.code === 'insufficient_funds',
      );
    assert.equal(breakers.find('test', 'flaky')?.state, 'closed');
  });

  it('records each call (retries included once) in simplebank_rpc_client_duration_seconds, by target, method and outcome', async () => {
    const metrics = new Metrics();
    const call = caller(transport, 'test', () => undefined, { ...fast, metrics });
    reset([unavailable]);
    await call(contract, 'put', { n: 1 }, { idempotencyKey: 'k-6' });
    reset([business]);
    await assert.rejects(call(contract, 'peek', { n: 1 }));
    const { body } = await metrics.render();
    assert.match(
      body,
      /simplebank_rpc_client_duration_seconds_count\{service="test",target="flaky",method="put",outcome="ok"\} 1\n/,
    );
    assert.match(
      body,
      /simplebank_rpc_client_duration_seconds_count\{service="test",target="flaky",method="peek",outcome="client_error"\} 1\n/,
    );
  });
});
