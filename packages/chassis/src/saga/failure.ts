/**
 * What a failed step invocation changes: a retry after back-off, or the start of compensation.
 */
import { toAppError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import { backoffDelay } from '../resilience/backoff.ts';
import { lastCompensable, type Turn } from './position.ts';
import type { StepTx } from './step-tx.ts';
import * as store from './store.ts';
import type { SagaDefinition, SagaStep } from './types.ts';

type AnySaga = SagaDefinition<any, any>;
type AnyStep = SagaStep<any, any>;
type SagaRow = store.SagaRow;

export interface FailureDeps {
  log: Logger;
  leaseMs: number;
}

/**
 * A failed invocation (its writes already rolled back). Compensations, and anything past the
 * pivot, are retried for ever with capped back-off; an action is retried while its error is
 * retryable and tries are left, and otherwise fails the step, which starts compensation.
 */
/** Where an invocation failed: the saga, its definition, the step (none: onCompensated) and its index. */
export interface FailedAt {
  row: SagaRow;
  def: AnySaga;
  step: AnyStep | undefined;
  index: number;
  phase: 'action' | 'compensation';
}

export async function recordFailure(
  deps: FailureDeps,
  tx: StepTx,
  at: FailedAt,
  attempt: number,
  err: unknown,
): Promise<Turn> {
  const { row, def, step, index, phase } = at;
  const e = toAppError(err);
  const name = step?.name ?? 'onCompensated';
  const policy = step?.retry ?? def.defaults?.retry ?? {};
  const detail = `${e.code}: ${e.message}`;
  const forever = phase === 'compensation' || row.past_pivot;
  if (forever || (e.retryable && attempt < (policy.maxAttempts ?? 5))) {
    let delay = backoffDelay(attempt, { baseMs: policy.baseMs ?? 100, capMs: policy.capMs ?? 30_000 });
    // Do not sleep past the step's deadline: the next turn must notice it.
    if (!forever && row.deadline_in_ms !== null) delay = Math.min(delay, Math.max(0, Math.ceil(row.deadline_in_ms)));
    await store.updateSaga(tx, tx.saga, {
      attempt,
      nextRunInMs: delay,
      lease: 'release',
      log: { step: name, phase, outcome: 'error', attempt, detail: `${detail}; retry in ${delay} ms` },
    });
    deps.log.warn(
      { sagaId: row.id, sagaType: row.type, step: name, phase, attempt, err: e },
      'saga step failed; will retry',
    );
    return { next: 'stop', wakeInMs: delay };
  }
  const failure = e.retryable
    ? { code: 'step_failed', message: `Step ${name} failed ${attempt} times; last: ${detail}` }
    : { code: e.code, message: e.message };
  return startCompensation(deps, tx, { row, def, fromIndex: index }, failure, {
    step: name,
    phase,
    outcome: 'failed',
    attempt,
    detail,
  });
}

/**
 * From the current step (which may have partly applied, or applied remotely before a crash)
 * down to the first, each compensation in its own turn.
 */
export async function startCompensation(
  deps: FailureDeps,
  tx: StepTx,
  at: { row: SagaRow; def: AnySaga; fromIndex: number },
  failure: store.Failure,
  log: store.LogEntry,
): Promise<Turn> {
  const { row, def, fromIndex } = at;
  const first = lastCompensable(def, fromIndex);
  const next = await store.updateSaga(tx, tx.saga, {
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
    lease: { renewMs: deps.leaseMs },
    log,
  });
  deps.log.info({ sagaId: row.id, sagaType: row.type, failure }, 'saga compensating');
  return { next: 'continue', row: next, status: 'compensating' };
}
