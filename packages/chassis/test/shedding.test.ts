import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AppError,
  ConfigError,
  MemoryTransport,
  T,
  UnavailableError,
  defineContract,
  defineService,
  rpc,
  startAllInOne,
} from '../src/index.ts';
import { LoadShedder, OverloadedError, sheddingOptions, sheddingSettings } from '../src/resilience/shedding.ts';
import { THROTTLE_WINDOW_MS } from '../src/resilience/throttle.ts';
import { startTestService } from '../src/testing/index.ts';

// Small bounds for this process: 2 in progress, 2 waiting (long enough to be admitted when unblocked).
process.env.RPC_MAX_QUEUE = '2';
process.env.RPC_MAX_QUEUE_WAIT_MS = '30000';

const busyContract = defineContract({
  service: 'busy',
  rpc: {
    work: rpc({ request: T.Object({ n: T.Integer() }), response: T.Object({ n: T.Integer() }) }),
    ping: rpc({ request: T.Object({}), response: T.Object({ pong: T.Boolean() }) }),
  },
});

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('load shedding in a service', () => {
  it('refuses the excess with overloaded 503, finishes what it admitted, and recovers by itself', async () => {
    let blocker = gate();
    let started = 0;
    const service = defineService({
      contract: busyContract,
      rpcConcurrency: 2,
      rpc: {
        async work(req) {
          started++;
          await blocker.opened;
          return { n: req.n };
        },
        async ping() {
          return { pong: true };
        },
      },
    });
    const svc = await startTestService(service);
    try {
      const calls = Array.from({ length: 10 }, (_, n) =>
        svc.call(busyContract, 'work', { n }, { timeoutMs: 30_000 }).then(
          (r) => ({ ok: true as const, n: r.n }),
          (err: unknown) => ({ ok: false as const, err }),
        ),
      );
      // The six beyond 2 in progress + 2 waiting are refused while the handler is still blocked.
      const refusedBeforeUnblock = await Promise.all(calls.slice(4));
      for (const r of refusedBeforeUnblock) {
        assert.equal(r.ok, false);
        const err = (r as { err: unknown }).err;
        assert.ok(err instanceof AppError, String(err));
        assert.equal(err.code, 'overloaded');
        assert.equal(err.status, 503);
        assert.equal(err.retryable, true);
      }
      assert.equal(started, 2, 'only the bound runs at once');
      blocker.open();
      const admitted = await Promise.all(calls.slice(0, 4));
      assert.deepEqual(
        admitted,
        [0, 1, 2, 3].map((n) => ({ ok: true, n })),
      );

      const metrics = await svc.metrics.render();
      assert.match(metrics.body, /simplebank_rpc_shed_total\{service="busy",method="work"\} 6/);

      // Recovered: it serves normally again, the full bound included (once the caller's throttle,
      // which refuses part of a method's calls while its target refuses them, has forgotten the refusals).
      assert.deepEqual(await svc.call(busyContract, 'ping', {}), { pong: true });
      await new Promise((resolve) => setTimeout(resolve, THROTTLE_WINDOW_MS));
      blocker = gate();
      blocker.open();
      const again = await Promise.all(
        [0, 1, 2, 3].map((n) => svc.call(busyContract, 'work', { n }, { timeoutMs: 30_000 })),
      );
      assert.deepEqual(
        again.map((r) => r.n),
        [0, 1, 2, 3],
      );
    } finally {
      blocker.open();
      await svc.stop();
    }
  });
});

describe('LoadShedder', () => {
  it('admits up to the bound, queues a few, refuses the rest at once and admits waiters in order', async () => {
    const s = new LoadShedder({ maxInFlight: 1, maxQueue: 1, maxQueueWaitMs: 60_000 });
    const first = await s.acquire();
    const second = s.acquire();
    await assert.rejects(
      s.acquire(),
      (e: unknown) => e instanceof OverloadedError && e.code === 'overloaded' && e.status === 503 && e.retryable,
    );
    assert.equal(s.inFlight, 1);
    assert.equal(s.queued, 1);
    first();
    first(); // a second release is harmless
    const secondRelease = await second;
    assert.equal(s.inFlight, 1);
    secondRelease();
    assert.equal(s.inFlight, 0);
    (await s.acquire())();
  });

  it('refuses a waiter that got no slot within the max queue wait', async () => {
    const s = new LoadShedder({ maxInFlight: 1, maxQueue: 5, maxQueueWaitMs: 10 });
    const held = await s.acquire();
    await assert.rejects(s.acquire(), (e: unknown) => e instanceof OverloadedError);
    assert.equal(s.queued, 0);
    held();
    (await s.acquire())();
  });

  it('reads its settings from the environment, with defaults, and rejects bad ones', () => {
    const from = (source: NodeJS.ProcessEnv) => sheddingOptions({}, sheddingSettings.load(source));
    assert.deepEqual(from({}), { maxInFlight: 256, maxQueue: 128, maxQueueWaitMs: 100 });
    assert.deepEqual(from({ RPC_MAX_IN_FLIGHT: '8', RPC_MAX_QUEUE: '0' }), {
      maxInFlight: 8,
      maxQueue: 0,
      maxQueueWaitMs: 100,
    });
    assert.deepEqual(sheddingOptions({ maxInFlight: 3 }, sheddingSettings.load({})).maxInFlight, 3, 'an override wins');
    assert.throws(
      () => from({ RPC_MAX_IN_FLIGHT: 'lots', RPC_MAX_QUEUE: '-1' }),
      (e: unknown) => e instanceof ConfigError && e.problems.length === 2,
    );
  });

  it('joins the one start-up report: a bad shedding setting is named with every other bad setting', async () => {
    await assert.rejects(
      startAllInOne({
        services: [],
        environment: { RPC_MAX_IN_FLIGHT: 'lots', PORT: 'eighty', SIMPLEBANK_STRICT_CONTRACTS: 'maybe' },
      }),
      (e: unknown) =>
        e instanceof ConfigError &&
        ['RPC_MAX_IN_FLIGHT', 'PORT', 'SIMPLEBANK_STRICT_CONTRACTS'].every((name) =>
          e.problems.some((p) => p.includes(name)),
        ),
    );
    sheddingSettings.load({}); // what the next tests of this file expect
  });
});

describe('memory transport RPC waiting list', () => {
  it('refuses at once with overloaded past its bound, and serves again once drained', async () => {
    const t = new MemoryTransport({ maxRpcWaiting: 2 });
    await t.connect();
    const g = gate();
    await t.serve(
      'slow',
      async (body) => {
        await g.opened;
        return body;
      },
      { concurrency: 1 },
    );
    const accepted = ['a', 'b', 'c'].map((b) => t.request('slow', b, { timeoutMs: 30_000 })); // 1 running + 2 waiting
    await assert.rejects(
      t.request('slow', 'd', { timeoutMs: 30_000 }),
      (e: unknown) => e instanceof UnavailableError && e.code === 'overloaded',
    );
    g.open();
    assert.deepEqual(await Promise.all(accepted), ['a', 'b', 'c']);
    assert.equal(await t.request('slow', 'e', { timeoutMs: 30_000 }), 'e');
    await t.close();
  });
});
