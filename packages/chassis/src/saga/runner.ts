/**
 * The saga orchestrator. A saga's state lives in the service's database (chassis_sagas); runners
 * take sagas under a lease and advance them one turn at a time (turn.ts). A turn's step runs with
 * no transaction open while it calls other services; its outcome, local writes and outbox messages
 * commit together, by the lease holder, under the saga's row lock (step-tx.ts). The lease is
 * renewed while a long invocation runs, so a live runner keeps the saga to itself; a crashed
 * runner's lease expires and another runner resumes the saga, with no committed step done twice.
 */
import { randomUUID } from 'node:crypto';
import type { Database, Queryable } from '../db/database.ts';
import type { Static } from '@sinclair/typebox';
import { assertValid } from '../contract/validation.ts';
import { ConflictError, ValidationError } from '../errors.ts';
import type { Causation } from '../messaging/envelope.ts';
import type { Call } from '../messaging/rpc.ts';
import type { Logger } from '../observability/logger.ts';
import { Metrics } from '../observability/metrics.ts';
import { Registry } from 'prom-client';
import { exportSagaGauges } from './gauges.ts';
import { sleep } from '../resilience/backoff.ts';
import type { Tx } from '../messaging/tx.ts';
import * as store from './store.ts';
import type { StepTx } from './step-tx.ts';
import { SagaTurns } from './turn.ts';
import type { SagaDefinition, SagaInspection, SagaStatus, SignalDefs, SignalName } from './types.ts';

export interface SagaRunnerOptions {
  service: string;
  db: Database;
  log: Logger;
  sagas: readonly SagaDefinition<any, any>[];
  /** The process's metrics: handed to steps (`ctx.metrics`), and where the saga gauges go (gauges.ts). Default: a registry of the runner's own. */
  metrics?: Metrics;
  /** Builds the RPC `call` for a saga's causation (so calls carry its correlation id, identity, trace). */
  call: (cause: Causation) => Call;
  /**
   * Fallback poll, doubled while idle up to 20× (runners are woken by NOTIFY on 'chassis_sagas'
   * and, in-process, after begin/signal commit; due sagas by a timer). Default 500.
   */
  pollIntervalMs?: number;
  /** A saga taken by a runner is invisible to others until then; a crashed runner's sagas are picked up after it. Default 30000. */
  leaseMs?: number;
  /** Sagas advanced at once. Default 16. */
  concurrency?: number;
  onTransition?: (e: { type: string; status: SagaStatus; durationMs?: number }) => void;
}

type AnySaga = SagaDefinition<any, any>;

/** Refuses a signal its saga does not declare, or whose payload does not fit the declared schema. */
export function checkSignal(saga: AnySaga, name: string, payload: unknown): void {
  if (!saga.signals) return;
  const schema = (saga.signals as SignalDefs)[name];
  if (!schema)
    throw new ValidationError(`Saga ${saga.name} has no signal ${name}`, [
      { path: '/name', message: `one of ${Object.keys(saga.signals).join(', ')}` },
    ]);
  assertValid(schema, payload, `payload of ${saga.name} signal ${name}`);
}

/** A transaction with an outbox (a handler's or a step's), as opposed to a bare connection. */
function isTx(q: Queryable): q is Tx {
  const t = q as Partial<Tx>;
  return typeof t.afterCommit === 'function' && typeof t.publish === 'function' && typeof t.send === 'function';
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
  private idleMs: number;
  private saturated = false;
  private readonly recheck = new Set<string>();
  private readonly turns: SagaTurns;
  /** `type/step` of every local step: those a signal's transaction may take a turn of (see signal()). */
  private readonly localSteps: string[];
  private readonly metrics: Metrics;
  private removeGauges: (() => void) | undefined;

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
    this.localSteps = options.sagas.flatMap((saga) =>
      saga.steps.filter((step) => step.local).map((step) => `${saga.name}/${step.name}`),
    );
    this.idleMs = this.pollIntervalMs;
    this.metrics = options.metrics ?? new Metrics(new Registry());
    this.turns = new SagaTurns(
      {
        service: options.service,
        db: options.db,
        log: options.log,
        metrics: this.metrics,
        call: options.call,
        leaseMs: this.leaseMs,
      },
      this.definitions,
    );
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    // A service without sagas runs no loop and listens to nothing.
    if (this.definitions.size === 0) return;
    // Every begin, signal and interrupt notifies with the saga's id, at commit, to every runner
    // (this one included): one wake-up per event, one claim.
    this.unlisten = await this.db.listen('chassis_sagas', (id) => this.notified(id));
    this.removeGauges = exportSagaGauges(this.metrics, this.options.service, [...this.definitions.keys()], () =>
      this.stats(),
    );
    this.loop = this.run();
  }

  /** Stops taking sagas; waits up to `timeoutMs` for invocations in progress; hands the rest back. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopping = true;
    this.unlisten?.();
    this.removeGauges?.();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.wakeUp?.();
    await this.loop;
    // Each advance ends after its current invocation and releases its lease (see advance()).
    const abort = new AbortController();
    await Promise.race([
      Promise.allSettled([...this.inFlight.values()]).then(() => abort.abort()),
      sleep(timeoutMs, abort.signal),
    ]);
    abort.abort();
  }

  health(): { ready: boolean; detail?: string } {
    if (!this.started || this.stopping)
      return { ready: false, detail: `saga runner ${this.stopping ? 'stopping' : 'not started'}` };
    return this.healthy ? { ready: true } : { ready: false, detail: `saga runner: ${this.lastError ?? 'failing'}` };
  }

  /**
   * Starts a saga inside the caller's transaction: it runs only if that commits. Beginning the same
   * id again is harmless. With a slot free, the saga is inserted under this runner's lease and
   * advanced here once the transaction commits (no wake-up and no claim in between); otherwise it
   * is inserted free and the runners are woken at commit.
   */
  async begin<D>(tx: Tx, saga: SagaDefinition<D>, input: { id?: string; data: D; cause: Causation }): Promise<string> {
    if (!this.definitions.has(saga.name)) throw new Error(`Saga ${saga.name} is not registered with this runner`);
    const id = input.id ?? randomUUID();
    const first = saga.steps[0]!;
    const fresh = {
      id,
      type: saga.name,
      data: input.data,
      firstStep: first.name,
      deadlineInMs: first.timeoutMs ?? null,
      cause: input.cause,
    };
    let inserted: boolean;
    if (this.hasRoom()) {
      const row = await store.insertLeasedSaga(tx, fresh, this.leaseMs);
      inserted = row !== undefined;
      if (row) tx.afterCommit(() => this.adopt(row));
    } else inserted = await store.insertSaga(tx, fresh);
    if (!inserted) {
      const existing = await store.sagaType(tx, id);
      if (existing?.type !== saga.name)
        throw new ConflictError('saga_exists', `Saga ${id} exists with type ${existing?.type}`);
      return id;
    }
    tx.afterCommit(() => this.emit(saga.name, 'running'));
    return id;
  }

  /** A slot is free for a saga this runner takes without a claim (begun or signalled here). */
  private hasRoom(): boolean {
    return this.started && !this.stopping && this.definitions.size > 0 && this.inFlight.size < this.concurrency;
  }

  /**
   * Advances a saga this runner took in a transaction that has now committed (see begin() and
   * advanceWithin()). Its slots filled meanwhile, or stopping: hands the saga back to every runner.
   */
  private adopt(row: store.SagaRow): void {
    if (this.hasRoom() && !this.inFlight.has(row.id)) {
      this.track(row);
      return;
    }
    store
      .handBack(this.db, row.id, row.lease_token!)
      .catch((err: unknown) =>
        this.log.warn({ err, sagaId: row.id }, 'saga not handed back; taken once its lease expires'),
      );
  }

  /** Advances `row` (leased by this runner) in a slot of its own. */
  private track(row: store.SagaRow): void {
    const p = this.advance(row, row.lease_token!).finally(() => {
      this.inFlight.delete(row.id);
      // Claim again only when it may find something: news of this saga came meanwhile, or
      // the last claim filled every slot (more may be due than were taken).
      if (this.recheck.delete(row.id) || this.saturated) this.wake();
    });
    this.inFlight.set(row.id, p);
  }

  /**
   * Delivers a signal inside the caller's transaction. It is kept until a step waits for it, and
   * consumed once. With `dedupKey`, a repeat of the same signal is ignored (even after consumption).
   * False when there is no such saga.
   *
   * When `tx` is a transaction with an outbox (a handler's `ctx.tx`) and the saga waits for the
   * signal in a `local` step, the step's turn is taken right here, in `tx`: the signal, the step's
   * writes and its outcome commit together with the caller's, with no runner's claim, transaction
   * or wake-up in between (two commits and a NOTIFY round trip fewer per signal). The saga goes on
   * in `tx` while its next step is local too, and is handed to the runners (woken at commit) at the
   * first step that is not. A turn that fails here is undone (a savepoint) and left to a runner.
   *
   * The signal must be one the saga declares, with a payload that fits its schema (else a
   * ValidationError, before anything is written); a saga of another type is "no such saga".
   */
  async signal<S extends SignalDefs, K extends SignalName<S>>(
    tx: Queryable,
    saga: SagaDefinition<any, S>,
    sagaId: string,
    name: K,
    payload: Static<S[K]>,
    options: { dedupKey?: string } = {},
  ): Promise<boolean> {
    checkSignal(saga, name, payload);
    const signal = {
      sagaType: saga.name,
      sagaId,
      name,
      payload,
      ...(options.dedupKey !== undefined ? { dedupKey: options.dedupKey } : {}),
    };
    if (!isTx(tx) || this.localSteps.length === 0 || !this.started || this.stopping)
      return store.insertSignal(tx, signal);
    const { found, saga: taken } = await store.signalAndTake(tx, {
      ...signal,
      localSteps: this.localSteps,
      leaseMs: this.leaseMs,
    });
    if (taken) await this.advanceWithin(tx, taken);
    return found;
  }

  /** Advances `first` (taken under a lease in `tx`) for as long as it can within `tx`; see signal(). */
  private async advanceWithin(tx: Tx, first: store.SagaRow): Promise<void> {
    const token = first.lease_token!;
    const transitions: Array<{ status: SagaStatus; ageMs: number }> = [];
    let row = first;
    let wakeInMs: number | undefined;
    let handOver: store.SagaRow | undefined;
    await tx.query('SAVEPOINT chassis_saga_turn');
    try {
      for (;;) {
        const turn = await this.turns.takeWithin(row, token, tx);
        if (!turn) {
          // A turn for a runner: this one keeps the lease and takes it at commit, if it has a slot.
          if (this.hasRoom()) handOver = row;
          else await store.handBack(tx, row.id, token);
          break;
        }
        if (turn.status && turn.status !== row.status) transitions.push({ status: turn.status, ageMs: row.age_ms });
        if (turn.next === 'continue') {
          row = turn.row;
          continue;
        }
        wakeInMs = turn.wakeInMs;
        break;
      }
    } catch (err) {
      // Undone: the signal stays (it was kept before the savepoint), and a runner takes the turn.
      await tx.query('ROLLBACK TO SAVEPOINT chassis_saga_turn');
      await store.handBack(tx, row.id, token);
      this.log.info({ err, sagaId: row.id }, 'saga turn within the signalling transaction failed; left to a runner');
      return;
    }
    tx.afterCommit(() => {
      for (const t of transitions) this.emit(first.type, t.status, t.ageMs);
      if (wakeInMs !== undefined) this.wakeLater(wakeInMs);
      if (handOver) this.adopt(handOver);
    });
  }

  /** Asks a saga to stop and compensate, acted on at its next invocation boundary. False past its pivot or once finished. */
  async interrupt(tx: Queryable, sagaId: string, reason: { code: string; message: string }): Promise<boolean> {
    const result = await store.requestInterrupt(tx, sagaId, { code: reason.code, message: reason.message });
    if (result === 'refused') return false;
    if (result === 'requested') {
      await store.notify(tx, sagaId);
    }
    return true;
  }

  inspect(sagaId: string): Promise<SagaInspection | undefined> {
    return store.inspectSaga(this.db, sagaId);
  }

  /** A page of sagas, newest first, of one status when given (cursor: saga/cursor in operations). */
  list(q: Parameters<typeof store.listSagas>[1]): ReturnType<typeof store.listSagas> {
    return store.listSagas(this.db, q);
  }

  stats(): Promise<Array<{ type: string; status: SagaStatus; count: number; oldestAgeSeconds: number }>> {
    return store.sagaStats(this.db);
  }

  /** Asks the runner to look for runnable sagas now. */
  /**
   * A saga was begun, signalled or interrupted. One this runner is advancing right now may have
   * handed itself back just before the news committed: it is looked at again once its advance ends.
   */
  private notified(id: string): void {
    if (this.inFlight.has(id)) this.recheck.add(id);
    else this.wake();
  }

  private wake(): void {
    this.pending = true;
    this.idleMs = this.pollIntervalMs;
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
      let claimed = 0;
      if (room > 0) {
        try {
          const rows = await store.claim(this.db, {
            types,
            exclude: [...this.inFlight.keys()],
            limit: room,
            leaseMs: this.leaseMs,
          });
          claimed = rows.length;
          this.saturated = claimed === room;
          for (const row of rows) this.track(row);
          this.healthy = true;
        } catch (err) {
          this.healthy = false;
          this.lastError = (err as Error).message;
          this.log.warn({ err }, 'saga runner could not take sagas; retrying');
        }
      }
      if (this.stopping) break;
      // Idle: the fallback poll backs off (wake-ups reset it), so an idle service commits ~nothing.
      if (claimed === 0 && this.inFlight.size === 0 && !this.pending)
        this.idleMs = Math.min(this.idleMs * 2, this.pollIntervalMs * 20);
      await this.idle(this.idleMs);
    }
  }

  /** Advances one saga, turn after turn, for as long as it has something to do now. */
  private async advance(first: store.SagaRow, token: string): Promise<void> {
    // A long invocation keeps its lease: renewed every third of it, only while a turn is running.
    // A failed renewal is said: if the lease then runs out another runner may take the saga (its
    // fencing token keeps the two apart), which is worth knowing when a saga turns twice.
    const renew = () =>
      store
        .renewLease(this.db, first.id, token, this.leaseMs)
        .catch((err: unknown) => this.log.warn({ err, sagaId: first.id }, 'saga lease not renewed; trying again'));
    const renewal = setInterval(() => void renew(), Math.max(10, Math.floor(this.leaseMs / 3)));
    renewal.unref();
    let row = first;
    let carry: StepTx | undefined;
    try {
      while (!this.stopping) {
        const turn = await this.turns.take(row, token, carry);
        carry = undefined;
        if (turn.status && turn.status !== row.status) this.emit(row.type, turn.status, row.age_ms);
        if (turn.next === 'continue') {
          row = turn.row;
          carry = turn.carry;
          continue;
        }
        if (turn.wakeInMs !== undefined) this.wakeLater(turn.wakeInMs);
        return;
      }
      // Stopping: what the last turn recorded commits; the saga is handed back now rather than have
      // others wait out the lease.
      if (carry) await carry.commit();
      await store.releaseLease(this.db, row.id, token);
    } catch (err) {
      // Keep the lease: it expires and the saga is taken again, which also spaces out the retries
      // of whatever failed here (a lost connection, a failing commit).
      this.log.warn({ err, sagaId: row.id }, 'saga turn failed; the saga resumes once its lease expires');
    } finally {
      clearInterval(renewal);
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
}
