/**
 * The saga orchestrator against real PostgreSQL. No timing assertions: every test polls for the end
 * state (up to 20 s) and then checks what happened, counting effect rows (written in the step's
 * transaction) against attempts (written outside it).
 */
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Database } from '../src/db/database.ts';
import { Type as T } from '@sinclair/typebox';
import { Registry } from 'prom-client';
import { Metrics } from '../src/observability/metrics.ts';
import { UnavailableError, type ValidationError } from '../src/errors.ts';
import { inTransaction } from '../src/messaging/tx.ts';
import { stopPrivateServer } from '../src/testing/database.ts';
import type { SagaRunner } from '../src/saga/runner.ts';
import { defineSaga, done, SagaFailure, waitFor, type SagaDefinition, type SagaStep } from '../src/saga/types.ts';
import {
  begin,
  cause,
  counts,
  crashSaga,
  eventually,
  newRunner,
  SERVICE,
  statusIs,
  StepDone,
  testDatabase,
  withRunner,
} from './saga/fixtures.ts';

after(() => stopPrivateServer());

/** A database, a started runner for `sagas`; both cleaned up whatever happens. */
/** A step that writes its effect row (and counts its attempt) in its transaction. */
function effectStep<D>(
  name: string,
  action: SagaStep<D>['action'] = async () => done(),
  extra: Partial<SagaStep<D>> = {},
  order?: string[],
): SagaStep<D> {
  return {
    name,
    async action(ctx) {
      await ctx.tx.query("INSERT INTO saga_effects (saga_id, step, phase) VALUES ($1, $2, 'action')", [
        ctx.sagaId,
        name,
      ]);
      return action(ctx);
    },
    async compensate(ctx) {
      order?.push(name);
      await ctx.tx.query("INSERT INTO saga_effects (saga_id, step, phase) VALUES ($1, $2, 'compensation')", [
        ctx.sagaId,
        name,
      ]);
    },
    ...extra,
  };
}

const signal = (
  runner: SagaRunner,
  db: Database,
  saga: SagaDefinition<any>,
  id: string,
  name: string,
  payload?: unknown,
  dedupKey?: string,
) =>
  inTransaction(db, { service: SERVICE, cause }, (tx) =>
    runner.signal(tx, saga, id, name, payload, dedupKey ? { dedupKey } : {}),
  );
const interrupt = (runner: SagaRunner, db: Database, id: string) =>
  inTransaction(db, { service: SERVICE, cause }, (tx) =>
    runner.interrupt(tx, id, { code: 'cancelled', message: 'customer cancelled' }),
  );

describe('saga runner', () => {
  test('a three-step saga completes, its data patches accumulate, and inspect() shows the log and the trace that began it', async () => {
    type D = { input: string; a?: number; b?: number };
    const keys: string[] = [];
    const saga: SagaDefinition<D> = {
      name: 'Three',
      steps: [
        effectStep<D>('s1', async (ctx) => (keys.push(ctx.stepKey), done({ a: 1 }))),
        effectStep<D>('s2', async (ctx) => done({ b: ctx.data.a! + 1 })),
        effectStep<D>('s3', async () => {}), // returning nothing is done()
      ],
      async onCompleted(ctx) {
        await ctx.tx.query("INSERT INTO saga_effects (saga_id, step, phase) VALUES ($1, 'saga', 'completed')", [
          ctx.sagaId,
        ]);
      },
    };
    const transitions: string[] = [];
    const t = await testDatabase();
    const runner = newRunner(t.db, [saga], { onTransition: (e) => transitions.push(e.status) });
    try {
      await runner.start();
      assert.equal(runner.health().ready, true);
      const id = await begin(runner, t.db, saga, { input: 'x' });
      const s = await statusIs(runner, id, 'completed');
      assert.deepEqual(s.data, { input: 'x', a: 1, b: 2 });
      assert.equal(s.currentStep, null);
      assert.deepEqual(
        s.log.map((e) => `${e.step}:${e.phase}:${e.outcome}:${e.attempt}`),
        ['s1:action:done:1', 's2:action:done:1', 's3:action:done:1'],
      );
      assert.deepEqual(keys, [`${id}:s1`]);
      assert.deepEqual(await counts(t.db, 'saga_effects', id), {
        's1/action': 1,
        's2/action': 1,
        's3/action': 1,
        'saga/completed': 1,
      });
      assert.deepEqual(transitions, ['running', 'completed']);
      assert.equal(s.traceId, null, 'begun by untraced work');
      const stats = await runner.stats();
      assert.deepEqual(stats, [{ type: 'Three', status: 'completed', count: 1, oldestAgeSeconds: 0 }]);
      // Begun by traced work: inspect() names the trace, to find every span of it.
      const tracedCause = { ...cause, traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' };
      const traced = await inTransaction(t.db, { service: SERVICE, cause: tracedCause }, (tx) =>
        runner.begin(tx, saga, { data: { input: 'y' }, cause: tracedCause }),
      );
      assert.equal((await statusIs(runner, traced, 'completed')).traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
    } finally {
      await runner.stop();
      await t.drop();
    }
  });

  test('a business failure at step 3 compensates each step once, in reverse order', async () => {
    const order: string[] = [];
    let failureSeen: unknown;
    const saga: SagaDefinition<object> = {
      name: 'Failing',
      steps: [
        effectStep('s1', undefined, {}, order),
        effectStep('s2', undefined, {}, order),
        effectStep(
          's3',
          async () => {
            throw new SagaFailure('insufficient_funds', 'Not enough cash');
          },
          {},
          order,
        ),
      ],
      async onCompensated(ctx) {
        failureSeen = ctx.failure;
      },
    };
    await withRunner([saga], async ({ db, runner }) => {
      const id = await begin(runner, db, saga, {});
      const s = await statusIs(runner, id, 'compensated');
      assert.deepEqual(s.failure, { code: 'insufficient_funds', message: 'Not enough cash' });
      assert.deepEqual(failureSeen, s.failure);
      // The failed step is compensated too (its action may have partly applied); its own writes were rolled back.
      assert.deepEqual(order, ['s3', 's2', 's1']);
      assert.deepEqual(await counts(db, 'saga_effects', id), {
        's1/action': 1,
        's2/action': 1,
        's3/compensation': 1,
        's2/compensation': 1,
        's1/compensation': 1,
      });
      assert.deepEqual(
        s.log.map((e) => `${e.step}:${e.phase}:${e.outcome}`),
        [
          's1:action:done',
          's2:action:done',
          's3:action:failed',
          's3:compensation:compensated',
          's2:compensation:compensated',
          's1:compensation:compensated',
        ],
      );
    });
  });

  test("steps count in the service's metrics, and the runner exports its sagas' gauges (instances, oldest active)", async () => {
    const metrics = new Metrics(new Registry());
    const saga: SagaDefinition<object> = {
      name: 'Counted',
      steps: [
        {
          name: 'count',
          async action(ctx) {
            ctx.tx.afterCommit(() =>
              ctx.metrics.counter('test_counted_total', 'Steps counted', ['step']).inc({ step: ctx.step }),
            );
            return ctx.wakeUp.kind === 'start' ? waitFor(['never']) : done();
          },
        },
      ],
    };
    await withRunner(
      [saga],
      async ({ db, runner }) => {
        const id = await begin(runner, db, saga, {});
        await statusIs(runner, id, 'waiting');
        const { body } = await metrics.render();
        assert.match(body, /^test_counted_total\{step="count"\} 1$/m);
        assert.match(body, /^simplebank_saga_instances\{service="sagatest",saga_type="Counted",status="waiting"\} 1$/m);
        assert.match(
          body,
          /^simplebank_saga_oldest_active_age_seconds\{service="sagatest",saga_type="Counted",status="waiting"\} \d/m,
        );
        assert.match(
          body,
          /^simplebank_saga_oldest_active_age_seconds\{service="sagatest",saga_type="Counted",status="running"\} 0$/m,
        );
      },
      { metrics },
    );
  });

  test('a retryable error is retried with back-off; the step effect and its outbox message are recorded once', async () => {
    const attempts: number[] = [];
    const retry = { baseMs: 5, capMs: 20 };
    const flaky: SagaDefinition<object> = {
      name: 'Flaky',
      steps: [
        effectStep('s1'),
        effectStep(
          's2',
          async (ctx) => {
            attempts.push(ctx.attempt);
            await ctx.tx.publish(StepDone, { sagaId: ctx.sagaId, step: 's2' });
            if (ctx.attempt < 3) throw new UnavailableError('broker away');
            return done();
          },
          { retry },
        ),
      ],
    };
    const hopeless: SagaDefinition<object> = {
      name: 'Hopeless',
      steps: [
        effectStep('s1'),
        effectStep(
          's2',
          async () => {
            throw new UnavailableError('always down');
          },
          { retry: { ...retry, maxAttempts: 3 } },
        ),
      ],
    };
    // A fault in our own code (a TypeError) is not retried: the step fails at its first try.
    const buggy: SagaDefinition<object> = {
      name: 'Buggy',
      steps: [
        effectStep('s1'),
        effectStep(
          's2',
          async () => {
            (undefined as unknown as { x: { y: number } }).x.y;
            return done();
          },
          { retry: { ...retry, maxAttempts: 3 } },
        ),
      ],
    };
    await withRunner([flaky, hopeless, buggy], async ({ db, runner }) => {
      const id = await begin(runner, db, flaky, {});
      const s = await statusIs(runner, id, 'completed');
      assert.deepEqual(attempts, [1, 2, 3]);
      assert.deepEqual(await counts(db, 'saga_effects', id), { 's1/action': 1, 's2/action': 1 });
      const outbox = await db.query('SELECT 1 FROM chassis_outbox WHERE destination = $1', [StepDone.type]);
      assert.equal(outbox.rowCount, 1);
      assert.deepEqual(
        s.log.filter((e) => e.step === 's2').map((e) => `${e.outcome}:${e.attempt}`),
        ['error:1', 'error:2', 'done:3'],
      );
      assert.match(s.log[1]!.detail ?? '', /service_unavailable: broker away/);

      const h = await statusIs(runner, await begin(runner, db, hopeless, {}), 'compensated');
      assert.equal(h.failure?.code, 'step_failed');
      assert.deepEqual(
        h.log.filter((e) => e.step === 's2' && e.phase === 'action').map((e) => `${e.outcome}:${e.attempt}`),
        ['error:1', 'error:2', 'failed:3'],
      );

      const b = await statusIs(runner, await begin(runner, db, buggy, {}), 'compensated');
      assert.equal(b.failure?.code, 'internal_error');
      assert.deepEqual(
        b.log.filter((e) => e.step === 's2' && e.phase === 'action').map((e) => `${e.outcome}:${e.attempt}`),
        ['failed:1'],
      );
    });
  });

  test('waitFor: woken by a later signal, by a signal sent before the wait, or by its timeout; a signal the saga does not declare is refused', async () => {
    type D = { waitMs?: number; decision?: string; payload?: unknown };
    const signals = { approved: T.Object({ by: T.String() }), rejected: T.String() };
    const saga = defineSaga<D, typeof signals>({
      name: 'Approval',
      signals,
      steps: [
        {
          name: 'approve',
          async action(ctx) {
            const w = ctx.wakeUp;
            if (w.kind === 'start')
              return waitFor(['approved', 'rejected'], ctx.data.waitMs ? { timeoutMs: ctx.data.waitMs } : {});
            if (w.kind === 'timeout') return done<D>({ decision: 'timeout' });
            // Typed by the declared signals: `by` of an approval, the reason text of a rejection.
            return done<D>(
              w.name === 'approved'
                ? { decision: w.name, payload: { by: w.payload.by } }
                : { decision: w.name, payload: w.payload },
            );
          },
        },
      ],
    });
    await withRunner([saga], async ({ db, runner }) => {
      // A signal committed in another transaction, once the step waits.
      const later = await begin(runner, db, saga, {});
      await statusIs(runner, later, 'waiting');
      assert.equal(await signal(runner, db, saga, later, 'approved', { by: 'alice' }, 'k1'), true);
      assert.equal(await signal(runner, db, saga, later, 'approved', { by: 'alice' }, 'k1'), true); // a duplicate: harmless
      let s = await statusIs(runner, later, 'completed');
      assert.deepEqual(s.data, { decision: 'approved', payload: { by: 'alice' } });
      const rows = await db.query('SELECT consumed_at FROM chassis_saga_signals WHERE saga_id = $1', [later]);
      assert.equal(rows.rowCount, 1);
      assert.ok(rows.rows[0]!.consumed_at);

      // A signal committed with the saga itself, before its step ever ran.
      const early = await inTransaction(db, { service: SERVICE, cause }, async (tx) => {
        const id = await runner.begin(tx, saga, { data: {}, cause });
        assert.equal(await runner.signal(tx, saga, id, 'rejected', 'too risky'), true);
        return id;
      });
      s = await statusIs(runner, early, 'completed');
      assert.deepEqual(s.data, { decision: 'rejected', payload: 'too risky' });

      // Nobody answers: the wait's timeout wakes the step.
      s = await statusIs(runner, await begin(runner, db, saga, { waitMs: 50 }), 'completed');
      assert.equal((s.data as D).decision, 'timeout');

      assert.equal(await signal(runner, db, saga, 'no-such-saga', 'approved', { by: 'bob' }), false);

      // Refused before anything is written: a payload that does not fit, a name the saga does not declare.
      const waiting = await begin(runner, db, saga, {});
      await statusIs(runner, waiting, 'waiting');
      await assert.rejects(
        signal(runner, db, saga, waiting, 'approved', { by: 42 }),
        (e: ValidationError) => e.code === 'validation_failed' && /approved/.test(e.message),
      );
      await assert.rejects(
        signal(runner, db, saga, waiting, 'maybe', 'later'),
        (e: ValidationError) => e.code === 'validation_failed' && /no signal maybe/.test(e.message),
      );
      assert.equal((await db.query('SELECT 1 FROM chassis_saga_signals WHERE saga_id = $1', [waiting])).rowCount, 0);
      // A saga of another type with that id is no saga of this type.
      const other: SagaDefinition<object> = { name: 'OtherType', steps: [] };
      assert.equal(await signal(runner, db, other, waiting, 'approved', { by: 'eve' }), false);
      assert.equal((await runner.inspect(waiting))?.status, 'waiting');
    });
  });

  test("the saga's deadline wakes a step that waits with no timeout of its own, until the deadline is dealt with; defaults give a step its retry policy", async () => {
    type D = { expiresAt: string; cancelSent?: boolean; wakes?: string[] };
    let tries = 0;
    const saga = defineSaga<D>({
      name: 'Expiring',
      deadline: (d) => (d.cancelSent ? undefined : d.expiresAt),
      defaults: { retry: { maxAttempts: 3, baseMs: 1, capMs: 5 } },
      steps: [
        {
          name: 'flaky',
          async action() {
            // Two technical failures, then success: the default policy (3 tries) lets it through.
            tries += 1;
            if (tries < 3) throw new UnavailableError(`try ${tries}`);
            return done();
          },
        },
        {
          name: 'await',
          async action(ctx) {
            const w = ctx.wakeUp;
            const wakes = [...(ctx.data.wakes ?? []), w.kind === 'signal' ? w.name : w.kind];
            if (w.kind === 'start') return waitFor(['answer'], { patch: { wakes } });
            // The deadline: dealt with once (cancelSent), then wait on without one.
            if (w.kind === 'timeout') return waitFor(['answer'], { patch: { wakes, cancelSent: true } });
            return done<D>({ wakes });
          },
        },
      ],
    });
    await withRunner([saga], async ({ db, runner }) => {
      const expiresAt = new Date(Date.now() + 100).toISOString();
      const id = await begin(runner, db, saga, { expiresAt });
      // Woken by the deadline, dealt with, waiting again.
      await eventually(async () => {
        const s = await runner.inspect(id);
        return s?.status === 'waiting' && (s.data as D).cancelSent ? s : undefined;
      }, 'the deadline to wake the waiting step');
      // No second timeout: the deadline is gone once dealt with.
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(((await runner.inspect(id))?.data as D).wakes, ['start', 'timeout']);
      await signal(runner, db, saga, id, 'answer', {}, 'k-answer');
      const s = await statusIs(runner, id, 'completed');
      assert.deepEqual((s.data as D).wakes, ['start', 'timeout', 'answer']);
      assert.deepEqual(
        s.log.filter((e) => e.step === 'flaky').map((e) => `${e.outcome}:${e.attempt}`),
        ['error:1', 'error:2', 'done:3'],
      );
    });
  });

  test('a step timeout (waiting, or hung in its action) fails the step and compensates', async () => {
    const waiting: SagaDefinition<object> = {
      name: 'NeverAnswered',
      steps: [effectStep('s1'), effectStep('s2', async () => waitFor(['never']), { timeoutMs: 200 })],
    };
    const hung: SagaDefinition<object> = {
      name: 'Hung',
      steps: [effectStep('s1'), effectStep('s2', () => new Promise(() => {}), { timeoutMs: 200 })],
    };
    await withRunner([waiting, hung], async ({ db, runner }) => {
      const w = await begin(runner, db, waiting, {});
      let s = await statusIs(runner, w, 'compensated');
      assert.equal(s.failure?.code, 'step_timeout');
      assert.deepEqual(await counts(db, 'saga_effects', w), {
        's1/action': 1,
        's2/action': 1,
        's2/compensation': 1,
        's1/compensation': 1,
      });

      const h = await begin(runner, db, hung, {});
      s = await statusIs(runner, h, 'compensated');
      assert.equal(s.failure?.code, 'step_timeout');
      // The hung action's write never committed.
      assert.deepEqual(await counts(db, 'saga_effects', h), {
        's1/action': 1,
        's2/compensation': 1,
        's1/compensation': 1,
      });
    });
  });

  test('interrupt compensates before the pivot; after it, it is refused and the saga goes forward, retrying failures', async () => {
    const tries = new Map<string, number>();
    const saga: SagaDefinition<object> = {
      name: 'Trade',
      steps: [
        effectStep('reserve'),
        { name: 'confirm', action: async (ctx) => (ctx.wakeUp.kind === 'start' ? waitFor(['go']) : done()) },
        { name: 'execute', pivot: true, action: async () => done() },
        {
          name: 'notify',
          retry: { baseMs: 5, capMs: 20, maxAttempts: 1 },
          async action(ctx) {
            const n = (tries.get(ctx.sagaId) ?? 0) + 1;
            tries.set(ctx.sagaId, n);
            // Past the pivot even a business failure is retried, not compensated.
            if (n <= 2) throw new SagaFailure('refused', 'not yet');
            return ctx.wakeUp.kind === 'start' ? waitFor(['finish']) : done();
          },
        },
      ],
    };
    await withRunner([saga], async ({ db, runner }) => {
      const a = await begin(runner, db, saga, {});
      await statusIs(runner, a, 'waiting');
      assert.equal(await interrupt(runner, db, a), true);
      let s = await statusIs(runner, a, 'compensated');
      assert.deepEqual(s.failure, { code: 'cancelled', message: 'customer cancelled' });
      assert.deepEqual(await counts(db, 'saga_effects', a), { 'reserve/action': 1, 'reserve/compensation': 1 });
      assert.ok(s.log.some((e) => e.step === 'confirm' && e.outcome === 'interrupted'));

      const b = await begin(runner, db, saga, {});
      await statusIs(runner, b, 'waiting');
      await signal(runner, db, saga, b, 'go');
      await eventually(async () => {
        const i = await runner.inspect(b);
        return i?.status === 'waiting' && i.currentStep === 'notify' ? i : undefined;
      }, 'saga to wait at notify');
      assert.equal(await interrupt(runner, db, b), false);
      await signal(runner, db, saga, b, 'finish');
      s = await statusIs(runner, b, 'completed');
      assert.equal(tries.get(b), 4);
      assert.deepEqual(
        s.log.filter((e) => e.step === 'notify').map((e) => e.outcome),
        ['error', 'error', 'waiting', 'done'],
      );
      assert.equal(await interrupt(runner, db, b), false);
    });
  });

  test('stop() lets the step in progress commit, then hands the saga back to be resumed', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started = false;
    const saga: SagaDefinition<object> = {
      name: 'Stoppable',
      steps: [
        effectStep('s1', async () => {
          started = true;
          await gate;
          return done();
        }),
        effectStep('s2'),
      ],
    };
    const t = await testDatabase();
    try {
      const first = newRunner(t.db, [saga], { leaseMs: 60_000 });
      await first.start();
      const id = await begin(first, t.db, saga, {});
      await eventually(async () => (started ? true : undefined), 's1 to start');
      const stopping = first.stop(10_000);
      release();
      await stopping;
      const { rows } = await t.db.query<{ status: string; current_step: string; lease_token: string | null }>(
        'SELECT status, current_step, lease_token FROM chassis_sagas WHERE id = $1',
        [id],
      );
      assert.deepEqual(rows[0], { status: 'running', current_step: 's2', lease_token: null });

      const second = newRunner(t.db, [saga], { leaseMs: 60_000 }); // no lease to wait out
      await second.start();
      await statusIs(second, id, 'completed');
      await second.stop();
      assert.deepEqual(await counts(t.db, 'saga_effects', id), { 's1/action': 1, 's2/action': 1 });
    } finally {
      await t.drop();
    }
  });

  test('a runner whose lease was taken over while its step ran commits nothing of the step', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started = false;
    const saga: SagaDefinition<object> = {
      name: 'Overtaken',
      steps: [
        effectStep('s1', async () => {
          started = true;
          await gate;
          return done();
        }),
        effectStep('s2'),
      ],
    };
    const t = await testDatabase();
    const runner = newRunner(t.db, [saga], { leaseMs: 60_000 });
    try {
      await runner.start();
      const id = await begin(runner, t.db, saga, {});
      await eventually(async () => (started ? true : undefined), 's1 to start');
      // Another runner's claim, as when this one outlived its lease: a new token on the row.
      await t.db.query(
        "UPDATE chassis_sagas SET lease_token = 'someone-else', locked_until = now() + interval '1 hour' WHERE id = $1",
        [id],
      );
      release();
      await runner.stop(10_000); // lets the step in progress end

      const { rows } = await t.db.query<{ status: string; current_step: string; lease_token: string | null }>(
        'SELECT status, current_step, lease_token FROM chassis_sagas WHERE id = $1',
        [id],
      );
      // The step's effect row was written in its transaction, which rolled back; the saga did not move.
      assert.deepEqual(rows[0], { status: 'running', current_step: 's1', lease_token: 'someone-else' });
      assert.deepEqual(await counts(t.db, 'saga_effects', id), {});
    } finally {
      await t.drop();
    }
  });

  describe('a crash at any point resumes without doing a committed step twice', { concurrency: 3 }, () => {
    const root = fileURLToPath(new URL('../../..', import.meta.url));
    const child = fileURLToPath(new URL('./saga/crash-child.ts', import.meta.url));
    // `local`: s3 is a local step, started in the transaction that records s2 (one commit for both):
    // a crash before that commit runs s2 again too, and s3's failure still lets s2's outcome commit.
    const cases: Array<{ at: string; fail?: boolean; local?: boolean; reran: string | string[] }> = [
      { at: 'call:s1', reran: 's1/action' },
      { at: 'call:s3', reran: 's3/action' },
      { at: 'action:s1', reran: 's1/action' },
      { at: 'action:s2', reran: 's2/action' },
      { at: 'action:s3', reran: 's3/action' },
      { at: 'commit:s1', reran: '' },
      { at: 'commit:s2', reran: '' },
      { at: 'commit:s3', reran: '' },
      { at: 'compensate:s3', fail: true, reran: 's3/compensation' },
      { at: 'compensate:s2', fail: true, reran: 's2/compensation' },
      { at: 'compensate-commit:s2', fail: true, reran: '' },
      { at: 'compensate:s1', fail: true, reran: 's1/compensation' },
      { at: 'call:s3', local: true, reran: ['s2/action', 's3/action'] },
      { at: 'action:s3', local: true, reran: ['s2/action', 's3/action'] },
      { at: 'commit:s3', local: true, reran: [] },
      { at: 'compensate:s3', fail: true, local: true, reran: 's3/compensation' },
    ];
    for (const c of cases) {
      test(`crash at ${c.at}${c.local ? ' (s3 local)' : ''}${c.fail ? ' (compensating)' : ''}`, async () => {
        const t = await testDatabase();
        try {
          const saga = crashSaga(t.db, undefined, { localS3: c.local ?? false });
          const resumer = newRunner(t.db, [saga]);
          const id = await begin(resumer, t.db, saga, { fail: c.fail ?? false });
          const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
            const p = spawn(process.execPath, ['--import', 'tsx', child], {
              cwd: root,
              stdio: ['ignore', 'inherit', 'inherit'],
              env: { ...process.env, SAGA_CRASH_DB_URL: t.url, SAGA_CRASH_AT: c.at },
            });
            p.on('exit', (code, signal) => resolve({ code, signal }));
          });
          assert.deepEqual(exit, { code: null, signal: 'SIGKILL' }, 'the child reached the crash point');

          await resumer.start();
          const s = await statusIs(resumer, id, c.fail ? 'compensated' : 'completed');
          await resumer.stop();
          const effects = await counts(t.db, 'saga_effects', id);
          const attempts = await counts(t.db, 'saga_attempts', id);
          if (c.fail) {
            assert.equal(s.failure?.code, 'refused');
            assert.deepEqual(effects, {
              's1/action': 1,
              's2/action': 1,
              's3/compensation': 1,
              's2/compensation': 1,
              's1/compensation': 1,
            });
          } else {
            assert.deepEqual(s.data, { fail: false, s1: true, s2: true, s3: true });
            assert.deepEqual(effects, { 's1/action': 1, 's2/action': 1, 's3/action': 1 });
          }
          // Whatever crashed before its commit ran again (so the resumption was real); nothing else did.
          const reran = [c.reran].flat();
          for (const key of Object.keys(attempts))
            assert.equal(attempts[key], reran.includes(key) ? 2 : 1, `attempts of ${key}`);
        } finally {
          await t.drop();
        }
      });
    }
  });

  test('a crash right after the commit that begins a saga (leased to the runner that began it): resumed once the lease expires', async () => {
    const t = await testDatabase();
    try {
      const saga = crashSaga(t.db);
      const id = randomUUID();
      const root = fileURLToPath(new URL('../../..', import.meta.url));
      const child = fileURLToPath(new URL('./saga/crash-child.ts', import.meta.url));
      const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((resolve) => {
        let out = '';
        const p = spawn(process.execPath, ['--import', 'tsx', child], {
          cwd: root,
          stdio: ['ignore', 'pipe', 'inherit'],
          env: { ...process.env, SAGA_CRASH_DB_URL: t.url, SAGA_CRASH_AT: 'begin-commit', SAGA_CRASH_ID: id },
        });
        p.stdout.on('data', (d: Buffer) => (out += d.toString()));
        p.on('exit', (code, signal) => resolve({ code, signal, out }));
      });
      assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: null, signal: 'SIGKILL' }, exit.out);
      assert.match(exit.out, /begun leased: true/, 'the child began the saga under its own lease');

      const resumer = newRunner(t.db, [saga]);
      await resumer.start();
      try {
        const s = await statusIs(resumer, id, 'completed');
        assert.deepEqual(s.data, { fail: false, s1: true, s2: true, s3: true });
      } finally {
        await resumer.stop();
      }
      assert.deepEqual(await counts(t.db, 'saga_effects', id), { 's1/action': 1, 's2/action': 1, 's3/action': 1 });
      assert.deepEqual(await counts(t.db, 'saga_attempts', id), { 's1/action': 1, 's2/action': 1, 's3/action': 1 });
    } finally {
      await t.drop();
    }
  });

  test('two runners on one database run each step once', async () => {
    // Long enough that a loaded machine (CI beside other work) does not stall a renewal past it: a
    // 200 ms lease once let the other runner take a saga over, which ran s1's action twice (its
    // effect still once, by the fencing token — asserted on saga_effects).
    const lease = 1000;
    const t = await testDatabase();
    const saga: SagaDefinition<object> = {
      name: 'Shared',
      steps: ['s1', 's2', 's3'].map((name) =>
        effectStep(name, async (ctx) => {
          // Counted outside the step's transaction: a second, concurrent execution would show.
          await t.db.query("INSERT INTO saga_attempts (saga_id, step, phase) VALUES ($1, $2, 'action')", [
            ctx.sagaId,
            name,
          ]);
          // Outlive the lease: its renewal while the step runs keeps the other runner out meanwhile.
          if (name === 's2') await new Promise((r) => setTimeout(r, lease * 2));
          return done();
        }),
      ),
    };
    const otherDb = new Database({ url: t.url, name: 'saga-other-runner' });
    const runners = [newRunner(t.db, [saga], { leaseMs: lease }), newRunner(otherDb, [saga], { leaseMs: lease })];
    try {
      await Promise.all(runners.map((r) => r.start()));
      const ids = [];
      for (let i = 0; i < 6; i++) ids.push(await begin(runners[i % 2]!, t.db, saga, {}));
      for (const id of ids) {
        await statusIs(runners[0]!, id, 'completed');
        assert.deepEqual(await counts(t.db, 'saga_effects', id), { 's1/action': 1, 's2/action': 1, 's3/action': 1 });
        assert.deepEqual(await counts(t.db, 'saga_attempts', id), { 's1/action': 1, 's2/action': 1, 's3/action': 1 });
      }
    } finally {
      await Promise.all(runners.map((r) => r.stop()));
      await otherDb.close();
      await t.drop();
    }
  });
});
