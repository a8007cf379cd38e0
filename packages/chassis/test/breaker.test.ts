import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BreakerOpenError,
  BreakerRegistry,
  CallPolicy,
  Metrics,
  breakerReadiness,
  type BreakerSettings,
} from '../src/index.ts';
import { eventually } from '../src/testing/index.ts';

const fail = () => Promise.reject(new Error('down'));
const ok = () => Promise.resolve('ok');

function setup(settings: Partial<BreakerSettings> = {}) {
  const registry = new BreakerRegistry();
  const metrics = new Metrics();
  const breaker = registry.get(
    'market',
    'exchange',
    {
      failureRate: 0.5,
      windowMs: 60_000,
      minimumCalls: 4,
      halfOpenAfterMs: 30,
      maxHalfOpenAfterMs: 100,
      critical: true,
      ...settings,
    },
    metrics,
  );
  const gauge = async () => {
    const body = (await metrics.render()).body;
    const m = /simplebank_circuit_breaker_state\{service="market",target="exchange"\} ([\d.]+)/.exec(body);
    return m ? Number(m[1]) : undefined;
  };
  return { registry, metrics, breaker, gauge };
}

async function failures(breaker: { execute<T>(fn: () => Promise<T>): Promise<T> }, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await breaker.execute(fail).catch(() => undefined);
}

describe('circuit breakers (the registry)', () => {
  it('one breaker per (service, target)', () => {
    const { registry, breaker } = setup();
    assert.equal(registry.get('market', 'exchange'), breaker);
    assert.notEqual(registry.get('orders', 'exchange'), breaker);
    assert.deepEqual(registry.of('market'), [breaker]);
  });

  it('stays closed below the minimum number of calls, even if all fail; opens on the failure rate past it', async () => {
    const { breaker, gauge } = setup();
    await failures(breaker, 3);
    assert.equal(breaker.state, 'closed');
    assert.equal(await gauge(), 0);
    await breaker.execute(ok);
    assert.equal(
      breaker.state,
      'closed',
      '3 of 4 failed, but the 4th was a success at the minimum: 75% > 50% opens only on a failure',
    );
    await failures(breaker, 1);
    assert.equal(breaker.state, 'open');
    assert.equal(await gauge(), 1);
    await assert.rejects(
      breaker.execute(ok),
      (err: unknown) => err instanceof BreakerOpenError && err.retryAt > Date.now() - 1,
    );
  });

  it('does not open while the failure rate stays under the threshold', async () => {
    const { breaker } = setup();
    for (let i = 0; i < 10; i++) {
      await breaker.execute(ok);
      await breaker.execute(ok);
      await failures(breaker, 1);
    }
    assert.equal(breaker.state, 'closed');
  });

  it('half-opens after its back-off (one probe), and closes when the probe succeeds', async () => {
    const { breaker, gauge } = setup();
    await failures(breaker, 4);
    assert.equal(breaker.state, 'open');
    await eventually(() => breaker.state === 'half-open');
    assert.equal(await gauge(), 0.5);
    let release!: () => void;
    const probe = breaker.execute(() => new Promise<string>((r) => (release = () => r('ok'))));
    await assert.rejects(breaker.execute(ok), BreakerOpenError, 'only one probe at a time');
    release();
    assert.equal(await probe, 'ok');
    assert.equal(breaker.state, 'closed');
    assert.equal(await gauge(), 0);
    assert.equal(await breaker.execute(ok), 'ok');
  });

  it('a failed probe opens it again', async () => {
    const { breaker } = setup();
    await failures(breaker, 4);
    await eventually(() => breaker.state === 'half-open');
    await failures(breaker, 1);
    assert.equal(breaker.state, 'open');
  });

  it('readiness: a critical open breaker is not ready, with a detail; half-open is ready again', async () => {
    const { registry, breaker } = setup();
    assert.deepEqual(breakerReadiness('market', registry), [{ name: 'market:breaker:exchange', ready: true }]);
    await failures(breaker, 4);
    assert.deepEqual(breakerReadiness('market', registry), [
      { name: 'market:breaker:exchange', ready: false, detail: 'exchange breaker open' },
    ]);
    await eventually(() => breaker.state === 'half-open');
    assert.equal(breakerReadiness('market', registry)[0]!.ready, true);
    const other = setup({ critical: false });
    await failures(other.breaker, 4);
    assert.deepEqual(breakerReadiness('market', other.registry), [
      { name: 'market:breaker:exchange', ready: true, detail: 'exchange breaker open' },
    ]);
  });

  it('forced open by an operator (or a setting) until released, then closed', async () => {
    const { breaker, gauge, registry } = setup();
    breaker.forceOpen();
    assert.equal(breaker.state, 'forced-open');
    assert.equal(await gauge(), 1);
    await assert.rejects(breaker.execute(ok), (err: unknown) => err instanceof BreakerOpenError && err.forced);
    assert.deepEqual(breakerReadiness('market', registry), [
      { name: 'market:breaker:exchange', ready: true, detail: 'exchange breaker forced open' },
    ]);
    breaker.release();
    assert.equal(breaker.state, 'closed');
    assert.equal(await gauge(), 0);
    assert.equal(await breaker.execute(ok), 'ok');
    const bySetting = setup({ forceOpen: true });
    assert.equal(bySetting.breaker.state, 'forced-open');
  });
});

describe('the call policy (timeout, retry, breaker)', () => {
  const classify = (v: string) =>
    (v === 'ok' ? 'ok' : v === 'refused' ? 'final' : 'retryable') as 'ok' | 'final' | 'retryable';

  it('retries retryable answers of idempotent calls, up to maxAttempts', async () => {
    const { breaker } = setup({ minimumCalls: 100 });
    const policy = new CallPolicy({ breaker, timeoutMs: 1000, maxAttempts: 3, backoff: { baseMs: 1, capMs: 2 } });
    const answers = ['unavailable', 'unavailable', 'ok'];
    const r = await policy.run(async () => answers.shift()!, classify, { idempotent: true });
    assert.deepEqual(r, { kind: 'answered', value: 'ok', outcome: 'ok', attempts: 3 });
  });

  it('does not retry a non-idempotent call, nor a final answer', async () => {
    const { breaker } = setup({ minimumCalls: 100 });
    const policy = new CallPolicy({ breaker, timeoutMs: 1000, maxAttempts: 3, backoff: { baseMs: 1, capMs: 2 } });
    let calls = 0;
    const once = await policy.run(async () => (calls++, 'unavailable'), classify, { idempotent: false });
    assert.equal(once.kind === 'answered' && once.attempts, 1);
    const refused = await policy.run(async () => (calls++, 'refused'), classify, { idempotent: true });
    assert.equal(refused.kind === 'answered' && refused.outcome, 'final');
    assert.equal(calls, 2);
  });

  it('each attempt gets a signal that aborts at its timeout; no attempt past the deadline', async () => {
    const { breaker } = setup({ minimumCalls: 100 });
    const policy = new CallPolicy({ breaker, timeoutMs: 20, maxAttempts: 1 });
    const r = await policy.run(
      (signal) => new Promise<string>((resolve) => signal.addEventListener('abort', () => resolve('timeout'))),
      classify,
      { idempotent: true },
    );
    assert.equal(r.kind === 'answered' && r.value, 'timeout');
    let called = false;
    const late = await policy.run(async () => ((called = true), 'ok'), classify, {
      idempotent: true,
      deadline: Date.now() - 1,
    });
    assert.equal(late.kind, 'deadline');
    assert.equal(called, false);
  });

  it('stops at an open breaker, sending nothing', async () => {
    const { breaker } = setup();
    breaker.forceOpen();
    let called = false;
    const r = await new CallPolicy({ breaker, timeoutMs: 100 }).run(async () => ((called = true), 'ok'), classify, {
      idempotent: true,
    });
    assert.equal(r.kind, 'breaker_open');
    assert.equal(called, false);
  });
});
