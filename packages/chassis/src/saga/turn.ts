/**
 * One turn of a saga: decide what it needs now, do it, record what came of it.
 *
 * The one rule everything rests on: a step's local writes, its outbox messages and the record of
 * its outcome commit in ONE transaction, made by the lease holder only: the statement that records
 * the outcome changes the saga's row only under the holder's lease token, and rolls everything back
 * when the lease was lost (step-tx.ts). What changed in 2026-12: that transaction is no longer open
 * while the step calls other services. It begins at the step's first local write, or when the outcome is recorded, so a
 * crash before the commit leaves no trace (the next runner re-invokes, with the same `stepKey` for
 * remote effects) and a crash after it leaves a saga that has moved on — as before — while a
 * pooled connection is held for milliseconds, never for a round trip.
 */
import { AppError } from '../errors.ts';
import type { Causation } from '../messaging/envelope.ts';
import type { Call } from '../messaging/rpc.ts';
import { withContext } from '../observability/context.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { within } from '../resilience/backoff.ts';
import type { Database } from '../db/database.ts';
import type { Tx } from '../messaging/tx.ts';
import { StepTx } from './step-tx.ts';
import { recordFailure, startCompensation } from './failure.ts';
import { dueIn, lastCompensable, resolveIndex, startsNext, type Turn } from './position.ts';
import { stepCause, stepContext } from './step-context.ts';
import * as store from './store.ts';
import { LeaseLost } from './store.ts';
import type { SagaDefinition, SagaStep, StepOutcome, WakeUp } from './types.ts';

type AnySaga = SagaDefinition<any, any>;
type AnyStep = SagaStep<any, any>;
type SagaRow = store.SagaRow;

export interface TurnDeps {
  service: string;
  db: Database;
  log: Logger;
  metrics: Metrics;
  call: (cause: Causation) => Call;
  leaseMs: number;
}

/** Where a saga stands: its row as of the last turn, the lease token, its definition and the current step's index. */
interface StepAt {
  row: SagaRow;
  token: string;
  def: AnySaga;
  index: number;
}

/** Raised when a step outlives its `timeoutMs` in the middle of an invocation. */
class StepTimedOut extends Error {}

export class SagaTurns {
  constructor(
    private readonly deps: TurnDeps,
    private readonly definitions: ReadonlyMap<string, AnySaga>,
  ) {}

  /**
   * Decides what the saga needs now and does it. `row` is the saga as of the end of the last turn;
   * `carry`, that turn's transaction when it was left open for this one.
   */
  async take(row: SagaRow, token: string, carry?: StepTx): Promise<Turn> {
    const cause = row.cause;
    const customerId = cause.identity?.customerId;
    return withContext(
      {
        correlationId: cause.correlationId,
        ...(cause.traceparent ? { traceparent: cause.traceparent } : {}),
        ...(customerId ? { customerId } : {}),
      },
      () => this.decide(row, token, carry),
    );
  }

  /**
   * The turn of a saga taken within another transaction (`outer`: the one that signalled it; see
   * step-tx.ts), if it can be taken there: the start of a local step, or a local step woken by a
   * pending signal. Undefined otherwise (a runner takes it). Throws when the turn failed: the
   * caller undoes it (a runner then takes it the usual way, failures and compensations included).
   */
  async takeWithin(row: SagaRow, token: string, outer: Tx): Promise<Turn | undefined> {
    const def = this.definitions.get(row.type);
    const index = def && store.LIVE.includes(row.status) ? resolveIndex(def, row) : undefined;
    if (!def || index === undefined || def.steps[index]?.local !== true) return undefined;
    let wakeUp: WakeUp;
    if (startsNext(row)) wakeUp = { kind: 'start' };
    else if (
      row.status === 'waiting' &&
      row.signal &&
      !(row.interrupt && !row.past_pivot) &&
      !(!row.past_pivot && row.deadline_in_ms !== null && row.deadline_in_ms <= 0)
    ) {
      wakeUp = { kind: 'signal', name: row.signal.name, payload: row.signal.payload };
    } else return undefined;
    const cause = row.cause;
    const customerId = cause.identity?.customerId;
    return withContext(
      {
        correlationId: cause.correlationId,
        ...(cause.traceparent ? { traceparent: cause.traceparent } : {}),
        ...(customerId ? { customerId } : {}),
      },
      () => this.act({ row, token, def, index }, wakeUp, { outer }),
    );
  }

  private async decide(row: SagaRow, token: string, carry?: StepTx): Promise<Turn> {
    const def = this.definitions.get(row.type)!; // claim() only takes types this runner knows
    const index = store.LIVE.includes(row.status) ? resolveIndex(def, row) : undefined;
    // Only a step's start takes a carried transaction; anything else commits it first.
    if (carry && !(index !== undefined && startsNext(row))) {
      await carry.commit();
      carry = undefined;
    }
    if (!store.LIVE.includes(row.status)) return this.release(row, token);
    if (index === undefined) return this.failDefinitionChanged(row, token);
    if (row.next_run_in_ms > 0) return this.release(row, token, row.next_run_in_ms);
    if (row.status === 'compensating') return this.compensate(row, token, def, index);

    const step = def.steps[index]!;
    if (row.interrupt && !row.past_pivot) {
      const interrupt = row.interrupt;
      return this.recorded(row, token, async (tx) => {
        return startCompensation(this.deps, tx, { row, def, fromIndex: index }, interrupt, {
          step: step.name,
          phase: 'action',
          outcome: 'interrupted',
          attempt: row.attempt,
          detail: `${interrupt.code}: ${interrupt.message}`,
        });
      });
    }
    if (!row.past_pivot && row.deadline_in_ms !== null && row.deadline_in_ms <= 0) {
      return this.recorded(row, token, async (tx) => {
        const failure = {
          code: 'step_timeout',
          message: `Step ${step.name} did not finish within ${step.timeoutMs} ms`,
        };
        return startCompensation(this.deps, tx, { row, def, fromIndex: index }, failure, {
          step: step.name,
          phase: 'action',
          outcome: 'timeout',
          attempt: row.attempt,
        });
      });
    }
    if (row.status === 'running') return this.act({ row, token, def, index }, { kind: 'start' }, { carried: carry });
    // Waiting: a signal first, then the wait's own timeout.
    if (row.signal)
      return this.act(
        { row, token, def, index },
        { kind: 'signal', name: row.signal.name, payload: row.signal.payload },
      );
    if (row.wait_in_ms !== null && row.wait_in_ms <= 0)
      return this.act({ row, token, def, index }, { kind: 'timeout' });
    return this.release(row, token, dueIn(row));
  }

  /** Runs `fn` in a transaction of its own under the lease (a decision that invokes no step). */
  private async recorded(row: SagaRow, token: string, fn: (tx: StepTx) => Promise<Turn>): Promise<Turn> {
    const tx = new StepTx(this.deps.db, { id: row.id, token }, { service: this.deps.service, cause: row.cause });
    try {
      const turn = await fn(tx);
      await tx.commit();
      return turn;
    } catch (err) {
      await tx.abandon();
      if (err instanceof LeaseLost) return { next: 'stop' };
      throw err;
    }
  }

  /** Nothing to do now: hand the saga back (it is taken again when due, signalled or interrupted). */
  private async release(row: SagaRow, token: string, wakeInMs?: number): Promise<Turn> {
    await store.releaseLease(this.deps.db, row.id, token);
    return { next: 'stop', ...(wakeInMs !== undefined ? { wakeInMs } : {}) };
  }

  /** The deployed definition no longer has the saga's current step: only an operator can sort that out. */
  private failDefinitionChanged(row: SagaRow, token: string): Promise<Turn> {
    const failure = {
      code: 'definition_changed',
      message: `Saga ${row.type} has no step ${row.current_step} any more`,
    };
    this.deps.log.error({ sagaId: row.id, sagaType: row.type, step: row.current_step }, failure.message);
    return this.recorded(row, token, async (tx) => {
      await store.updateSaga(tx, tx.saga, { status: 'failed', failure, lease: 'release' });
      return { next: 'stop', status: 'failed' };
    });
  }

  /** The saga's current step is declared `local`. */
  private isLocal(row: SagaRow): boolean {
    const def = this.definitions.get(row.type);
    const index = def ? resolveIndex(def, row) : undefined;
    return index !== undefined && def!.steps[index]?.local === true;
  }

  /**
   * Invokes an action or a compensation (`body`) and records its outcome in the transaction the
   * invocation may have opened. If the invocation throws, whatever it wrote is rolled back and only
   * the failure is recorded, in a transaction of its own.
   */
  private async invoke(
    row: SagaRow,
    token: string,
    invocation: {
      name: string;
      phase: 'action' | 'compensation';
      body: (tx: StepTx, cause: Causation, attempt: number) => Promise<Turn>;
      onFailure: (tx: StepTx, attempt: number, err: unknown) => Promise<Turn>;
    },
    carried?: StepTx,
    outer?: Tx,
  ): Promise<Turn> {
    const { name, phase, body, onFailure } = invocation;
    const attempt = row.attempt + 1;
    const { cause, span } = stepCause(this.deps, row, name, phase, attempt);
    const saga = { id: row.id, token };
    const tx = outer
      ? new StepTx(this.deps.db, saga, { service: this.deps.service, cause }, outer)
      : (carried?.carry(cause) ?? new StepTx(this.deps.db, saga, { service: this.deps.service, cause }));
    try {
      return await withContext(span.logFields, async () => {
        try {
          const turn = await body(tx, cause, attempt);
          // Straight on to a local step's start: it commits this outcome with its own writes.
          if (
            !outer &&
            turn.next === 'continue' &&
            phase === 'action' &&
            startsNext(turn.row) &&
            this.isLocal(turn.row)
          )
            return { ...turn, carry: tx };
          await tx.commit();
          return turn;
        } catch (err) {
          const timedOut = err instanceof StepTimedOut;
          await tx.abandon(timedOut);
          if (outer) {
            span.fail(err);
            throw err;
          }
          if (err instanceof LeaseLost) return { next: 'stop' } as Turn;
          span.fail(err);
          if (timedOut) {
            // The next turn sees the deadline passed and fails the step.
            const fresh = await store.readLeased(this.deps.db, row.id, token);
            return fresh ? ({ next: 'continue', row: fresh } as Turn) : ({ next: 'stop' } as Turn);
          }
          return this.recorded(row, token, (tx) => onFailure(tx, attempt, err));
        }
      });
    } finally {
      span.end();
    }
  }

  private act(
    { row, token, def, index }: StepAt,
    wakeUp: WakeUp,
    via: { carried?: StepTx | undefined; outer?: Tx | undefined } = {},
  ): Promise<Turn> {
    const step = def.steps[index]!;
    return this.invoke(
      row,
      token,
      {
        name: step.name,
        phase: 'action',
        body: async (tx, cause, attempt) => {
          const ctx = stepContext(this.deps, row, {
            step: step.name,
            stepKey: `${row.id}:${step.name}`,
            attempt,
            wakeUp,
            data: row.data,
            tx,
            cause,
          });
          const outcome = await this.bounded(
            row,
            step,
            async () => (await step.action(ctx)) ?? { kind: 'done' as const },
          );
          // The signal that woke the step is consumed with the outcome it led to.
          if (wakeUp.kind === 'signal' && !(await store.consumeSignal(tx, row.signal!.id)))
            throw new AppError(
              'signal_vanished',
              'The pending signal was consumed meanwhile; the turn is tried again',
              { status: 503, retryable: true },
            );
          const turn = await this.recordOutcome(tx, { row, def, index }, { attempt, outcome, cause });
          // Now waiting with nothing to wake it yet: the statement that recorded the wait handed the
          // saga back (a signal or an interrupt that comes later makes it claimable again and wakes
          // the runners).
          if (turn.next === 'continue' && turn.row.status === 'waiting' && turn.row.lease_token === null) {
            const due = dueIn(turn.row);
            return { next: 'stop', status: 'waiting', ...(due !== undefined ? { wakeInMs: due } : {}) };
          }
          return turn;
        },
        onFailure: (tx, attempt, err) =>
          recordFailure(this.deps, tx, { row, def, step, index, phase: 'action' }, attempt, err),
      },
      via.carried,
      via.outer,
    );
  }

  /**
   * Runs `fn`, bounded by what is left of the step's timeout. Past it, the invocation is abandoned
   * (StepTimedOut): its connection is dropped so whatever the action still does cannot commit.
   */
  private async bounded<T>(row: SagaRow, step: AnyStep, fn: () => Promise<T>): Promise<T> {
    const remaining = row.past_pivot || step.timeoutMs === undefined ? null : row.deadline_in_ms;
    if (remaining === null) return fn();
    const work = fn();
    work.catch(() => {}); // an abandoned action's later failure is of no interest
    return within(work, remaining, () => new StepTimedOut(`Step ${step.name} timed out`));
  }

  private async recordOutcome(
    tx: StepTx,
    { row, def, index }: Omit<StepAt, 'token'>,
    { attempt, outcome, cause }: { attempt: number; outcome: StepOutcome<any>; cause: Causation },
  ): Promise<Turn> {
    const step = def.steps[index]!;
    const data = { ...row.data, ...(outcome.patch ?? {}) };
    const renew = { renewMs: this.deps.leaseMs };
    if (outcome.kind === 'wait') {
      const timeoutMs = outcome.timeoutMs ?? (row.past_pivot ? undefined : msUntilDeadline(def, data));
      const detail = `for ${outcome.signals.join(', ') || 'no signal'}${timeoutMs !== undefined ? ` or ${timeoutMs} ms` : ''}`;
      const log = { step: step.name, phase: 'action' as const, outcome: 'waiting', attempt, detail };
      const next = await store.updateSaga(tx, tx.saga, {
        status: 'waiting',
        data,
        attempt: 0,
        waitSignals: outcome.signals,
        waitInMs: timeoutMs ?? null,
        nextRunInMs: 0,
        lease: { ...renew, releaseWhenIdle: true },
        log,
      });
      // Go on when something wakes it already (a signal that came before the wait, an interrupt, a
      // timeout due now); else the saga was handed back by the same statement.
      return { next: 'continue', row: next, status: 'waiting' };
    }
    const log = { step: step.name, phase: 'action' as const, outcome: 'done', attempt };
    const pastPivot = row.past_pivot || step.pivot === true;
    const following = def.steps[index + 1];
    if (!following) {
      if (def.onCompleted) {
        await def.onCompleted(
          stepContext(this.deps, row, {
            step: 'onCompleted',
            stepKey: `${row.id}:onCompleted`,
            attempt,
            wakeUp: { kind: 'start' },
            data,
            tx,
            cause,
          }),
        );
      }
      await store.updateSaga(tx, tx.saga, {
        status: 'completed',
        data,
        stepIndex: index + 1,
        currentStep: null,
        attempt: 0,
        waitSignals: null,
        waitInMs: null,
        deadlineInMs: null,
        pastPivot,
        interrupt: null,
        lease: 'release',
        log,
      });
      this.deps.log.info({ sagaId: row.id, sagaType: row.type }, 'saga completed');
      return { next: 'stop', status: 'completed' };
    }
    const next = await store.updateSaga(tx, tx.saga, {
      status: 'running',
      data,
      stepIndex: index + 1,
      currentStep: following.name,
      attempt: 0,
      waitSignals: null,
      waitInMs: null,
      // Past the pivot nothing may fail the saga any more, a timeout included.
      deadlineInMs: pastPivot ? null : (following.timeoutMs ?? null),
      pastPivot,
      ...(pastPivot ? { interrupt: null } : {}),
      nextRunInMs: 0,
      lease: renew,
      log,
    });
    return { next: 'continue', row: next, status: 'running' };
  }

  /** Compensates step `index` (if any is left), and finishes the saga after the last one. */
  private compensate(row: SagaRow, token: string, def: AnySaga, index: number): Promise<Turn> {
    const step = index >= 0 ? def.steps[index] : undefined;
    const failure = row.failure ?? { code: 'unknown', message: 'unknown' };
    return this.invoke(row, token, {
      name: step?.name ?? 'onCompensated',
      phase: 'compensation',
      body: async (tx, cause, attempt) => {
        const base = { attempt, wakeUp: { kind: 'start' } as WakeUp, data: row.data, tx, cause, failure };
        let log: store.LogEntry | undefined;
        if (step?.compensate) {
          await step.compensate(
            stepContext(this.deps, row, { ...base, step: step.name, stepKey: `${row.id}:${step.name}:compensate` }),
          );
          log = { step: step.name, phase: 'compensation', outcome: 'compensated', attempt };
        }
        const next = lastCompensable(def, index - 1);
        if (next >= 0) {
          const nextRow = await store.updateSaga(tx, tx.saga, {
            stepIndex: next,
            currentStep: def.steps[next]!.name,
            attempt: 0,
            nextRunInMs: 0,
            lease: { renewMs: this.deps.leaseMs },
            ...(log ? { log } : {}),
          });
          return { next: 'continue', row: nextRow };
        }
        if (def.onCompensated)
          await def.onCompensated(
            stepContext(this.deps, row, { ...base, step: 'onCompensated', stepKey: `${row.id}:onCompensated` }),
          );
        await store.updateSaga(tx, tx.saga, {
          status: 'compensated',
          stepIndex: -1,
          currentStep: null,
          attempt: 0,
          lease: 'release',
          ...(log ? { log } : {}),
        });
        this.deps.log.info({ sagaId: row.id, sagaType: row.type, failure }, 'saga compensated');
        return { next: 'stop', status: 'compensated' };
      },
      onFailure: (tx, attempt, err) =>
        recordFailure(this.deps, tx, { row, def, step, index, phase: 'compensation' }, attempt, err),
    });
  }
}

/** Time left until the saga's deadline (0 once passed), or undefined when it has none. */
function msUntilDeadline(def: AnySaga, data: unknown): number | undefined {
  const at = def.deadline?.(data);
  if (at === undefined) return undefined;
  return Math.max(0, new Date(at).getTime() - Date.now());
}
