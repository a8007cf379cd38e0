/**
 * Where a saga stands in its definition, read from its row (pure functions the turn decides with),
 * and where a turn leaves it.
 */
import type { StepTx } from './step-tx.ts';
import type * as store from './store.ts';
import type { SagaDefinition, SagaStatus } from './types.ts';

type AnySaga = SagaDefinition<any, any>;
type SagaRow = store.SagaRow;

/** The highest step at or below `index` that has a compensation, or -1. */
export function lastCompensable(def: AnySaga, index: number): number {
  for (let i = Math.min(index, def.steps.length - 1); i >= 0; i--) if (def.steps[i]!.compensate) return i;
  return -1;
}

/** When a waiting saga is due (its wait's timeout, or its step's deadline before the pivot). */
export function dueIn(row: SagaRow): number | undefined {
  const due = [row.wait_in_ms, row.past_pivot ? null : row.deadline_in_ms].filter((x): x is number => x !== null);
  return due.length ? Math.min(...due) : undefined;
}

/** The next turn will start the saga's current step: the turn before may carry its transaction into it. */
export function startsNext(row: SagaRow): boolean {
  return (
    row.status === 'running' &&
    row.next_run_in_ms <= 0 &&
    !(row.interrupt && !row.past_pivot) &&
    !(!row.past_pivot && row.deadline_in_ms !== null && row.deadline_in_ms <= 0)
  );
}

/** The index of the saga's current step in its definition, following a step that moved. */
export function resolveIndex(def: AnySaga, row: SagaRow): number | undefined {
  if (row.current_step === null || def.steps[row.step_index]?.name === row.current_step) return row.step_index;
  const moved = def.steps.findIndex((s) => s.name === row.current_step);
  return moved >= 0 ? moved : undefined;
}

/**
 * What a turn did, and whether the runner should go on with the saga (from `row`). `carry`: the
 * turn's transaction, not committed yet, for the next step to commit with its own (step-tx.ts).
 */
export type Turn =
  | { next: 'continue'; row: SagaRow; status?: SagaStatus; carry?: StepTx }
  | { next: 'stop'; status?: SagaStatus; wakeInMs?: number };
