import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError, BreakerRegistry, BulkheadRegistry, CallPolicy, Metrics, bulkheads } from '../src/index.ts';

/** A call that runs until released. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, wait: () => opened };
}

const isFull = (err: unknown) =>
  err instanceof AppError && err.code === 'bulkhead_full' && err.status === 503 && err.retryable;

describe('bulkheads', () => {
  it('admits N, queues M, refuses the rest fast with bulkhead_full, and recovers', async () => {
    const registry = new BulkheadRegistry();
    const metrics = new Metrics();
    const b = registry.get('market', 'exchange', { limit: 2, queue: 1 }, metrics);
    assert.equal(registry.get('market', 'exchange'), b, 'one bulkhead per (service, target)');
    assert.notEqual(registry.get('orders', 'exchange'), b);
    const g = gate();
    let started = 0;
    const work = () => b.execute(async () => ((started += 1), await g.wait(), 'done'));
    const running = [work(), work()];
    const queued = work();
    await new Promise((r) => setImmediate(r));
    assert.equal(started, 2, 'two run');
    assert.equal(b.inUse, 2);
    assert.equal(b.queued, 1, 'one waits');
    const body = (await metrics.render()).body;
    assert.match(body, /simplebank_bulkhead_in_use\{service="market",target="exchange"\} 2/);
    await assert.rejects(work(), isFull);
    await assert.rejects(work(), isFull);
    g.open();
    assert.deepEqual(await Promise.all([...running, queued]), ['done', 'done', 'done']);
    assert.equal(started, 3, 'the queued one ran, the refused ones never did');
    assert.equal(b.inUse, 0);
    assert.equal(await b.execute(async () => 'again'), 'again', 'recovers once slots free up');
  });

  it('a CallPolicy shares its dependency bulkhead (the default per (service, target)) and refuses fast when full', async () => {
    const breakers = new BreakerRegistry();
    const breaker = breakers.get('bulkhead-test', 'dep', { minimumCalls: 1000 });
    const p1 = new CallPolicy({ breaker, timeoutMs: 10_000 });
    const p2 = new CallPolicy({ breaker, timeoutMs: 10_000 });
    assert.equal(p1.bulkhead, p2.bulkhead);
    assert.equal(p1.bulkhead, bulkheads.find('bulkhead-test', 'dep'));
    assert.deepEqual(p1.bulkhead.settings, { limit: 32, queue: 64 });

    const own = new BulkheadRegistry().get('bulkhead-test', 'small', { limit: 1, queue: 0 });
    const policy = new CallPolicy({ breaker, timeoutMs: 10_000, bulkhead: own });
    const g = gate();
    const first = policy.run(
      async () => (await g.wait(), 'ok'),
      () => 'ok',
      { idempotent: true },
    );
    await new Promise((r) => setImmediate(r));
    let called = false;
    await assert.rejects(
      policy.run(
        async () => ((called = true), 'ok'),
        () => 'ok',
        { idempotent: true },
      ),
      isFull,
    );
    assert.equal(called, false);
    g.open();
    assert.equal((await first).kind, 'answered');
  });
});
