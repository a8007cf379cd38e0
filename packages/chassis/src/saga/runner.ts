/**
 * The saga orchestrator. A saga's state lives in the service's database (chassis_sagas); runners
 * take sagas under a lease and advance them one invocation at a time.
 *
 * The one rule everything rests on: an invocation of a step's action (or compensation) runs in ONE
 * transaction that first locks the saga's row and, in the same commit, records what came of it.
 * So the step's local writes and outbox messages commit exactly when the saga moves on; a crash
 * before the commit leaves no trace (the next runner re-invokes, with the same `stepKey` for remote
 * effects); a crash after it leaves a saga that has moved on. The row lock makes invocations of one
 * saga strictly one at a time, and the lease token (checked under that lock) makes a runner whose
 * lease was taken over stop instead of acting on stale state.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Database, Queryable, Row } from '../db/database.ts';
import { ConflictError, toAppError } from '../errors.ts';
import type { Causation } from '../messaging/envelope.ts';
import type { Call } from '../messaging/rpc.ts';
import { outboxTx, runAfterCommit } from '../messaging/tx.ts';
import { withContext } from '../observability/context.ts';
import type { Logger } from '../observability/logger.ts';
import { startSpan, type ActiveSpan } from '../observability/tracing.ts';
import { backoffDelay, sleep } from '../resilience/backoff.ts';
import type { Tx } from '../runtime/service.ts';
import * as store from './store.ts';
import type { SagaDefinition, SagaInspection, SagaStatus, SagaStep, SagaStepContext, StepOutcome, WakeUp } from './types.ts';

export interface SagaRunnerOptions {
  service: string;
  db: Database;
  log: Logger;
  sagas: readonly SagaDefinition<any>[];
  /** Builds the RPC `call` for a saga's causation (so calls carry its correlation id, identity, trace). */
  call: (cause: Causation) => Call;
  /** Fallback poll; runners are also woken by NOTIFY on 'chassis_sagas' and, in-process, after begin/signal commit. Default 500. */
  pollIntervalMs?: number;
  /** A saga taken by a runner is invisible to others until then; a crashed runner's sagas are picked up after it. Default 30000. */
  leaseMs?: number;
  /** Sagas advanced at once. Default 16. */
  concurrency?: number;
  onTransition?: (e: { type: string; status: SagaStatus; durationMs?: number }) => void;
}

type AnySaga = SagaDefinition<any>;
type AnyStep = SagaStep<any>;
type SagaRow = store.SagaRow;

/** What one turn (one transaction) did, and whether the runner should go on with the saga. */
interface Turn {
  next: 'continue' | 'stop';
  status?: SagaStatus;
  /** When the saga will be due again (back-off, wait timeout), to wake up for it on time. */
  wakeInMs?: number;
  afterCommit?: () => void;
}

/** Raised when a step outlives its `timeoutMs` in the middle of an invocation. */
class StepTimedOut extends Error {}

/**
 * The `tx` handed to a step. Once the invocation is over (finished, failed or timed out) it refuses
 * to be used: an action still running after its timeout must not write into a transaction that now
 * belongs to someone else, or outside any transaction.
 */
class StepTx implements Tx {
  private open = true;
  constructor(private readonly inner: Tx) {}
  close(): void {
    this.open = false;
  }
  private check(): void {
    if (!this.open) throw new Error('This saga step invocation has ended: its transaction can no longer be used');
  }
  query<R extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<pg.QueryResult<R>> {
    this.check();
    return this.inner.query<R>(sql, params);
  }
  publish: Tx['publish'] = (event, data, options) => {
    this.check();
    return this.inner.publish(event, data, options);
  };
  send: Tx['send'] = (command, data, options) => {
    this.check();
    return this.inner.send(command, data, options);
  };
  afterCommit(fn: () => void): void {
    this.inner.afterCommit(fn);
  }
}

/** The highest step at or below `index` that has a compensation, or -1. */
function lastCompensable(def: AnySaga, index: number): number {
  for (let i = Math.min(index, def.steps.length - 1); i >= 0; i--) if (def.steps[i]!.compensate) return i;
  return -1;
}

export class SagaRunner {
  private readonly db: Database;
  private readonly log: Logger;
  private readonly definitions = new Map<string, AnySaga>();
  private readonly pollIntervalMs: number;
  private readonly leaseMs: number;
  private readonly concurrency: number;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private started = false;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private unlisten: (() => void) | undefined;
  private wakeUp: (() => void) | undefined;
  private pending = false;
  private healthy = true;
  private lastError: string | undefined;

  constructor(private readonly options: SagaRunnerOptions) {
    this.db = options.db;
    this.log = options.log;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.concurrency = options.concurrency ?? 16;
    for (const saga of options.sagas) {
      if (this.definitions.has(saga.name)) throw new Error(`Two sagas named ${saga.name}`);
      if (saga.steps.length === 0) throw new Error(`Saga ${saga.name} has no steps`);
      this.definitions.set(saga.name, saga);
    }
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.unlisten = await this.db.listen('chassis_sagas', () => this.wake());
    this.loop = this.run();
  }

  /** Stops taking sagas; waits up to `timeoutMs` for invocations in progress; hands the rest back. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopping = true;
    this.unlisten?.();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.wakeUp?.();
    await this.loop;
    // Each advance ends after its current invocation and releases its lease (see advance()).
    const abort = new AbortController();
    await Promise.race([Promise.allSettled([...this.inFlight.values()]).then(() => abort.abort()), sleep(timeoutMs, abort.signal)]);
    abort.abort();
  }

  health(): { ready: boolean; detail?: string } {
    if (!this.started || this.stopping) return { ready: false, detail: `saga runner ${this.stopping ? 'stopping' : 'not started'}` };
    return this.healthy ? { ready: true } : { ready: false, detail: `saga runner: ${this.lastError ?? 'failing'}` };
  }

  /** Starts a saga inside the caller's transaction: it runs only if that commits. Beginning the same id again is harmless. */
  async begin<D>(tx: Tx, saga: SagaDefinition<D>, input: { id?: string; data: D; cause: Causation }): Promise<string> {
    if (!this.definitions.has(saga.name)) throw new Error(`Saga ${saga.name} is not registered with this runner`);
    const id = input.id ?? randomUUID();
    const first = saga.steps[0]!;
    const inserted = await store.insertSaga(tx, { id, type: saga.name, data: input.data, firstStep: first.name, deadlineInMs: first.timeoutMs ?? null, cause: input.cause });
    if (!inserted) {
      const existing = await store.sagaType(tx, id);
      if (existing?.type !== saga.name) throw new ConflictError('saga_exists', `Saga ${id} exists with type ${existing?.type}`);
      return id;
    }
    await store.notify(tx, id);
    tx.afterCommit(() => {
      this.emit(saga.name, 'running');
      this.wake();
    });
    return id;
  }

  /**
   * Delivers a signal inside the caller's transaction. It is kept until a step waits for it, and
   * consumed once. With `dedupKey`, a repeat of the same signal is ignored (even after consumption).
   */
  async signal(tx: Queryable, sagaId: string, name: string, payload?: unknown, options: { dedupKey?: string } = {}): Promise<boolean> {
    const saga = await store.sagaType(tx, sagaId);
    if (!saga) return false;
    if (store.LIVE.includes(saga.status)) {
      await store.insertSignal(tx, { sagaId, name, payload, ...(options.dedupKey !== undefined ? { dedupKey: options.dedupKey } : {}) });
      await store.notify(tx, sagaId);
      (tx as Partial<Tx>).afterCommit?.(() => this.wake());
    }
    return true;
  }

  /** Asks a saga to stop and compensate, acted on at its next invocation boundary. False past its pivot or once finished. */
  async interrupt(tx: Queryable, sagaId: string, reason: { code: string; message: string }): Promise<boolean> {
    const result = await store.requestInterrupt(tx, sagaId, { code: reason.code, message: reason.message });
    if (result === 'refused') return false;
    if (result === 'requested') {
      await store.notify(tx, sagaId);
      (tx as Partial<Tx>).afterCommit?.(() => this.wake());
    }
    return true;
  }

  inspect(sagaId: string): Promise<SagaInspection | undefined> {
    return store.inspectSaga(this.db, sagaId);
  }

  stats(): Promise<Array<{ type: string; status: SagaStatus; count: number; oldestAgeSeconds: number }>> {
    return store.sagaStats(this.db);
  }

  /** Asks the runner to look for runnable sagas now. */
  private wake(): void {
    this.pending = true;
    this.wakeUp?.();
  }

  /** Wakes up when a saga is due again (the poll would find it too, only later). */
  private wakeLater(ms: number): void {
    if (this.stopping || ms > 60_000) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.wake();
    }, Math.max(0, ms) + 5);
    t.unref();
    this.timers.add(t);
  }

  private idle(ms: number): Promise<void> {
    if (this.pending) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.wakeUp = undefined;
        resolve();
      };
      const t = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  private async run(): Promise<void> {
    const types = [...this.definitions.keys()];
    while (!this.stopping) {
      this.pending = false;
      const room = this.concurrency - this.inFlight.size;
      if (room > 0) {
        try {
          const claimed = await store.claim(this.db, { types, exclude: [...this.inFlight.keys()], limit: room, leaseMs: this.leaseMs });
          for (const { id, token } of claimed) {
            const p = this.advance(id, token).finally(() => {
              this.inFlight.delete(id);
              this.wake();
            });
            this.inFlight.set(id, p);
          }
          this.healthy = true;
        } catch (err) {
          this.healthy = false;
          this.lastError = (err as Error).message;
          this.log.warn({ err }, 'saga runner could not take sagas; retrying');
        }
      }
      if (!this.stopping) await this.idle(this.pollIntervalMs);
    }
  }

  /** Advances one saga, turn after turn, for as long as it has something to do now. */
  private async advance(id: string, token: string): Promise<void> {
    try {
      while (!this.stopping) {
        const turn = await this.turn(id, token);
        if (turn.next === 'continue') continue;
        if (turn.wakeInMs !== undefined) this.wakeLater(turn.wakeInMs);
        return;
      }
      // Stopping: hand the saga back now rather than have others wait out the lease.
      await store.releaseLease(this.db, id, token);
    } catch (err) {
      // Keep the lease: it expires and the saga is taken again, which also spaces out the retries
      // of whatever failed here (a lost connection, a failing commit).
      this.log.warn({ err, sagaId: id }, 'saga turn failed; the saga resumes once its lease expires');
    }
  }

  /** One transaction: lock the saga, check the lease is still ours, do the next thing, commit. */
  private async turn(id: string, token: string): Promise<Turn> {
    const client = await this.db.pool.connect();
    let discard: Error | undefined;
    try {
      await client.query('BEGIN');
      const row = await store.lockSaga(client, id);
      if (!row || row.lease_token !== token) {
        await client.query('ROLLBACK');
        return { next: 'stop' };
      }
      const cause = row.cause;
      const customerId = cause.identity?.customerId;
      const turn = await withContext({ correlationId: cause.correlationId, ...(cause.traceparent ? { traceparent: cause.traceparent } : {}), ...(customerId ? { customerId } : {}) }, () =>
        this.decide(client, row),
      );
      await client.query('COMMIT');
      turn.afterCommit?.();
      if (turn.status && turn.status !== row.status) this.emit(row.type, turn.status, row.age_ms);
      return turn;
    } catch (err) {
      if (err instanceof StepTimedOut) {
        // The action may still be using the connection: drop it (the server rolls back) and let the
        // next turn, which sees the deadline passed, fail the step.
        discard = err;
        return { next: 'continue' };
      }
      await client.query('ROLLBACK').catch((e: Error) => (discard = e));
      throw err;
    } finally {
      client.release(discard);
    }
  }

  private emit(type: string, status: SagaStatus, ageMs?: number): void {
    const finished = status === 'completed' || status === 'compensated' || status === 'failed';
    try {
      this.options.onTransition?.({ type, status, ...(finished && ageMs !== undefined ? { durationMs: ageMs } : {}) });
    } catch {
      // metrics must never disturb a saga
    }
  }

  /** Decides what the saga needs now, under its row lock. */
  private async decide(client: pg.PoolClient, row: SagaRow): Promise<Turn> {
    const def = this.definitions.get(row.type)!; // claim() only takes types this runner knows
    if (!store.LIVE.includes(row.status)) {
      await store.updateSaga(client, row.id, { lease: 'release' });
      return { next: 'stop' };
    }
    const index = this.resolveIndex(def, row);
    if (index === undefined) return this.failDefinitionChanged(client, row);
    if (row.next_run_in_ms > 0) return this.release(client, row, row.next_run_in_ms);
    if (row.status === 'compensating') return this.compensate(client, row, def, index);

    const step = def.steps[index]!;
    if (row.interrupt && !row.past_pivot) {
      await store.appendLog(client, { sagaId: row.id, step: step.name, phase: 'action', outcome: 'interrupted', attempt: row.attempt, detail: `${row.interrupt.code}: ${row.interrupt.message}` });
      return this.startCompensation(client, row, def, index, row.interrupt);
    }
    if (!row.past_pivot && row.deadline_in_ms !== null && row.deadline_in_ms <= 0) {
      await store.appendLog(client, { sagaId: row.id, step: step.name, phase: 'action', outcome: 'timeout', attempt: row.attempt });
      return this.startCompensation(client, row, def, index, { code: 'step_timeout', message: `Step ${step.name} did not finish within ${step.timeoutMs} ms` });
    }
    if (row.status === 'running') return this.act(client, row, def, index, 'start');
    // Waiting: a signal first, then the wait's own timeout.
    if (await store.hasPendingSignal(client, row.id, row.wait_signals ?? [])) return this.act(client, row, def, index, 'signal');
    if (row.wait_in_ms !== null && row.wait_in_ms <= 0) return this.act(client, row, def, index, 'timeout');
    const due = [row.wait_in_ms, row.past_pivot ? null : row.deadline_in_ms].filter((x): x is number => x !== null);
    return this.release(client, row, due.length ? Math.min(...due) : undefined);
  }

  /** Nothing to do now: hand the saga back (it is taken again when due, signalled or interrupted). */
  private async release(client: pg.PoolClient, row: SagaRow, wakeInMs: number | undefined): Promise<Turn> {
    await store.updateSaga(client, row.id, { lease: 'release' });
    return { next: 'stop', ...(wakeInMs !== undefined ? { wakeInMs } : {}) };
  }

  /** The index of the saga's current step in its definition, following a step that moved. */
  private resolveIndex(def: AnySaga, row: SagaRow): number | undefined {
    if (row.current_step === null || def.steps[row.step_index]?.name === row.current_step) return row.step_index;
    const moved = def.steps.findIndex((s) => s.name === row.current_step);
    return moved >= 0 ? moved : undefined;
  }

  /** The deployed definition no longer has the saga's current step: only an operator can sort that out. */
  private async failDefinitionChanged(client: pg.PoolClient, row: SagaRow): Promise<Turn> {
    const failure = { code: 'definition_changed', message: `Saga ${row.type} has no step ${row.current_step} any more` };
    this.log.error({ sagaId: row.id, sagaType: row.type, step: row.current_step }, failure.message);
    await store.updateSaga(client, row.id, { status: 'failed', failure, lease: 'release' });
    return { next: 'stop', status: 'failed' };
  }

  /** The span of one step invocation and the causation of its messages and calls. */
  private stepCause(row: SagaRow, step: string, phase: 'action' | 'compensation', attempt: number): { cause: Causation; span: ActiveSpan } {
    const stored = row.cause;
    // The deadline was the request's that began the saga; the saga outlives it by design and bounds
    // its steps with their own timeouts, so it is not handed on.
    const { deadline: _deadline, ...cause } = stored;
    // Each invocation is a span of the trace that began the saga (child of its stored traceparent).
    const span = startSpan(this.options.service, `saga ${row.type} ${phase === 'action' ? step : `${step} compensate`}`, {
      parent: stored.traceparent,
      attributes: { 'simplebank.saga.id': row.id, 'simplebank.saga.type': row.type, 'simplebank.saga.step': step, 'simplebank.saga.phase': phase, 'simplebank.saga.attempt': attempt },
    });
    return { cause: { ...cause, traceparent: span.traceparent }, span };
  }

  private context<D>(row: SagaRow, fields: { step: string; stepKey: string; attempt: number; wakeUp: WakeUp; data: unknown; tx: Tx; cause: Causation; failure?: store.Failure }): SagaStepContext<D> {
    const ctx: SagaStepContext<D> = {
      sagaId: row.id,
      sagaType: row.type,
      step: fields.step,
      data: fields.data as D,
      stepKey: fields.stepKey,
      attempt: fields.attempt,
      wakeUp: fields.wakeUp,
      tx: fields.tx,
      call: this.options.call(fields.cause),
      log: this.log.child({ sagaId: row.id, sagaType: row.type, step: fields.step }),
    };
    if (fields.failure) ctx.failure = fields.failure;
    return ctx;
  }

  /**
   * Invokes the current step's action and records its outcome, all under a savepoint: if anything
   * throws, the action's writes, outbox messages and signal consumption are undone and only the
   * failure is recorded (in the same transaction, still under the row lock).
   */
  private async act(client: pg.PoolClient, row: SagaRow, def: AnySaga, index: number, wake: 'start' | 'signal' | 'timeout'): Promise<Turn> {
    const step = def.steps[index]!;
    const attempt = row.attempt + 1;
    const { cause, span } = this.stepCause(row, step.name, 'action', attempt);
    try {
      return await withContext(span.logFields, () => this.actUnder(client, row, def, index, wake, attempt, cause, span));
    } finally {
      span.end();
    }
  }

  private async actUnder(client: pg.PoolClient, row: SagaRow, def: AnySaga, index: number, wake: 'start' | 'signal' | 'timeout', attempt: number, cause: Causation, span: ActiveSpan): Promise<Turn> {
    const step = def.steps[index]!;
    const outbox = outboxTx(client, { service: this.options.service, cause });
    const tx = new StepTx(outbox);
    await client.query('SAVEPOINT saga_step');
    try {
      const turn = await this.bounded(row, step, async () => {
        let wakeUp: WakeUp = { kind: wake === 'timeout' ? 'timeout' : 'start' };
        if (wake === 'signal') {
          const signal = await store.consumeSignal(client, row.id, row.wait_signals ?? []);
          if (!signal) throw new Error('The pending signal vanished'); // only the lease holder consumes; retried if ever
          wakeUp = { kind: 'signal', name: signal.name, payload: signal.payload };
        }
        const ctx = this.context(row, { step: step.name, stepKey: `${row.id}:${step.name}`, attempt, wakeUp, data: row.data, tx, cause });
        const outcome = (await step.action(ctx)) ?? { kind: 'done' };
        return this.recordOutcome(client, row, def, index, attempt, outcome, { tx, cause });
      });
      tx.close();
      return { ...turn, afterCommit: () => runAfterCommit(outbox) };
    } catch (err) {
      tx.close();
      span.fail(err);
      if (err instanceof StepTimedOut) throw err;
      await client.query('ROLLBACK TO SAVEPOINT saga_step');
      outbox.committed.splice(0); // after-commit hooks of what was rolled back must not run
      return this.recordFailure(client, row, def, step, index, 'action', attempt, err);
    }
  }

  /**
   * Runs `fn`, bounded by what is left of the step's timeout. Past it, the invocation is abandoned
   * (StepTimedOut): the turn drops the connection so whatever the action still does cannot commit.
   */
  private async bounded<T>(row: SagaRow, step: AnyStep, fn: () => Promise<T>): Promise<T> {
    const remaining = row.past_pivot || step.timeoutMs === undefined ? null : row.deadline_in_ms;
    if (remaining === null) return fn();
    const work = fn();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StepTimedOut(`Step ${step.name} timed out`)), Math.max(0, remaining));
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
      work.catch(() => {}); // an abandoned action's later failure is of no interest
    }
  }

  private async recordOutcome(client: pg.PoolClient, row: SagaRow, def: AnySaga, index: number, attempt: number, outcome: StepOutcome<any>, inv: { tx: Tx; cause: Causation }): Promise<Turn> {
    const step = def.steps[index]!;
    const data = { ...row.data, ...(outcome.patch ?? {}) };
    const renew = { renewMs: this.leaseMs };
    if (outcome.kind === 'wait') {
      const detail = `for ${outcome.signals.join(', ') || 'no signal'}${outcome.timeoutMs !== undefined ? ` or ${outcome.timeoutMs} ms` : ''}`;
      await store.appendLog(client, { sagaId: row.id, step: step.name, phase: 'action', outcome: 'waiting', attempt, detail });
      await store.updateSaga(client, row.id, { status: 'waiting', data, attempt: 0, waitSignals: outcome.signals, waitInMs: outcome.timeoutMs ?? null, nextRunInMs: 0, lease: renew });
      // Go on: the next turn finds a signal that came before the wait, or hands the saga back.
      return { next: 'continue', status: 'waiting' };
    }
    await store.appendLog(client, { sagaId: row.id, step: step.name, phase: 'action', outcome: 'done', attempt });
    const pastPivot = row.past_pivot || step.pivot === true;
    const next = def.steps[index + 1];
    if (!next) {
      if (def.onCompleted) {
        await def.onCompleted(this.context(row, { step: 'onCompleted', stepKey: `${row.id}:onCompleted`, attempt, wakeUp: { kind: 'start' }, data, tx: inv.tx, cause: inv.cause }));
      }
      await store.updateSaga(client, row.id, { status: 'completed', data, stepIndex: index + 1, currentStep: null, attempt: 0, waitSignals: null, waitInMs: null, deadlineInMs: null, pastPivot, interrupt: null, lease: 'release' });
      this.log.info({ sagaId: row.id, sagaType: row.type }, 'saga completed');
      return { next: 'stop', status: 'completed' };
    }
    await store.updateSaga(client, row.id, {
      status: 'running',
      data,
      stepIndex: index + 1,
      currentStep: next.name,
      attempt: 0,
      waitSignals: null,
      waitInMs: null,
      // Past the pivot nothing may fail the saga any more, a timeout included.
      deadlineInMs: pastPivot ? null : (next.timeoutMs ?? null),
      pastPivot,
      ...(pastPivot ? { interrupt: null } : {}),
      nextRunInMs: 0,
      lease: renew,
    });
    return { next: 'continue', status: 'running' };
  }

  /**
   * A failed invocation (already rolled back to the savepoint). Compensations, and anything past
   * the pivot, are retried for ever with capped back-off; an action is retried while its error is
   * retryable and tries are left, and otherwise fails the step, which starts compensation.
   */
  private async recordFailure(client: pg.PoolClient, row: SagaRow, def: AnySaga, step: AnyStep | undefined, index: number, phase: 'action' | 'compensation', attempt: number, err: unknown): Promise<Turn> {
    const e = toAppError(err);
    const name = step?.name ?? 'onCompensated';
    const policy = step?.retry ?? {};
    const detail = `${e.code}: ${e.message}`;
    const forever = phase === 'compensation' || row.past_pivot;
    if (forever || (e.retryable && attempt < (policy.maxAttempts ?? 5))) {
      let delay = backoffDelay(attempt, { baseMs: policy.baseMs ?? 100, capMs: policy.capMs ?? 30_000 });
      // Do not sleep past the step's deadline: the next turn must notice it.
      if (!forever && row.deadline_in_ms !== null) delay = Math.min(delay, Math.max(0, Math.ceil(row.deadline_in_ms)));
      await store.appendLog(client, { sagaId: row.id, step: name, phase, outcome: 'error', attempt, detail: `${detail}; retry in ${delay} ms` });
      await store.updateSaga(client, row.id, { attempt, nextRunInMs: delay, lease: 'release' });
      this.log.warn({ sagaId: row.id, sagaType: row.type, step: name, phase, attempt, err: e }, 'saga step failed; will retry');
      return { next: 'stop', wakeInMs: delay };
    }
    await store.appendLog(client, { sagaId: row.id, step: name, phase, outcome: 'failed', attempt, detail });
    const failure = e.retryable ? { code: 'step_failed', message: `Step ${name} failed ${attempt} times; last: ${detail}` } : { code: e.code, message: e.message };
    return this.startCompensation(client, row, def, index, failure);
  }

  /**
   * From the current step (which may have partly applied, or applied remotely before a crash)
   * down to the first, each compensation in its own turn.
   */
  private async startCompensation(client: pg.PoolClient, row: SagaRow, def: AnySaga, fromIndex: number, failure: store.Failure): Promise<Turn> {
    const first = lastCompensable(def, fromIndex);
    await store.updateSaga(client, row.id, {
      status: 'compensating',
      stepIndex: first,
      currentStep: first >= 0 ? def.steps[first]!.name : null,
      failure,
      attempt: 0,
      waitSignals: null,
      waitInMs: null,
      deadlineInMs: null,
      interrupt: null,
      nextRunInMs: 0,
      lease: { renewMs: this.leaseMs },
    });
    this.log.info({ sagaId: row.id, sagaType: row.type, failure }, 'saga compensating');
    return { next: 'continue', status: 'compensating' };
  }

  /** Compensates step `index` (if any is left), and finishes the saga after the last one. */
  private async compensate(client: pg.PoolClient, row: SagaRow, def: AnySaga, index: number): Promise<Turn> {
    const step = index >= 0 ? def.steps[index] : undefined;
    const attempt = row.attempt + 1;
    const { cause, span } = this.stepCause(row, step?.name ?? 'onCompensated', 'compensation', attempt);
    try {
      return await withContext(span.logFields, () => this.compensateUnder(client, row, def, index, attempt, cause, span));
    } finally {
      span.end();
    }
  }

  private async compensateUnder(client: pg.PoolClient, row: SagaRow, def: AnySaga, index: number, attempt: number, cause: Causation, span: ActiveSpan): Promise<Turn> {
    const step = index >= 0 ? def.steps[index] : undefined;
    const outbox = outboxTx(client, { service: this.options.service, cause });
    const tx = new StepTx(outbox);
    const failure = row.failure ?? { code: 'unknown', message: 'unknown' };
    await client.query('SAVEPOINT saga_step');
    try {
      const base = { attempt, wakeUp: { kind: 'start' } as WakeUp, data: row.data, tx, cause, failure };
      if (step?.compensate) {
        await step.compensate(this.context(row, { ...base, step: step.name, stepKey: `${row.id}:${step.name}:compensate` }));
        await store.appendLog(client, { sagaId: row.id, step: step.name, phase: 'compensation', outcome: 'compensated', attempt });
      }
      const next = lastCompensable(def, index - 1);
      let turn: Turn;
      if (next >= 0) {
        await store.updateSaga(client, row.id, { stepIndex: next, currentStep: def.steps[next]!.name, attempt: 0, nextRunInMs: 0, lease: { renewMs: this.leaseMs } });
        turn = { next: 'continue' };
      } else {
        if (def.onCompensated) await def.onCompensated(this.context(row, { ...base, step: 'onCompensated', stepKey: `${row.id}:onCompensated` }));
        await store.updateSaga(client, row.id, { status: 'compensated', stepIndex: -1, currentStep: null, attempt: 0, lease: 'release' });
        this.log.info({ sagaId: row.id, sagaType: row.type, failure }, 'saga compensated');
        turn = { next: 'stop', status: 'compensated' };
      }
      tx.close();
      return { ...turn, afterCommit: () => runAfterCommit(outbox) };
    } catch (err) {
      tx.close();
      span.fail(err);
      await client.query('ROLLBACK TO SAVEPOINT saga_step');
      outbox.committed.splice(0);
      return this.recordFailure(client, row, def, step, index, 'compensation', attempt, err);
    }
  }
}
