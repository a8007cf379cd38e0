/**
 * What a step invocation works with: its span and causation, and the context handed to its action
 * or compensation.
 */
import { attributeName } from '../config/naming.ts';
import type { Causation } from '../messaging/envelope.ts';
import type { Call } from '../messaging/rpc.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { startSpan, type ActiveSpan } from '../observability/tracing.ts';
import type { StepTx } from './step-tx.ts';
import type * as store from './store.ts';
import type { SagaStepContext, WakeUp } from './types.ts';

type SagaRow = store.SagaRow;

export interface StepContextDeps {
  service: string;
  log: Logger;
  metrics: Metrics;
  call: (cause: Causation) => Call;
}

/** The span of one step invocation and the causation of its messages and calls. */
export function stepCause(
  deps: StepContextDeps,
  row: SagaRow,
  step: string,
  phase: 'action' | 'compensation',
  attempt: number,
): { cause: Causation; span: ActiveSpan } {
  // The deadline was the request's that began the saga; the saga outlives it by design and bounds
  // its steps with their own timeouts, so it is not handed on.
  const { deadline: _deadline, ...cause } = row.cause;
  const span = startSpan(deps.service, `saga ${row.type} ${phase === 'action' ? step : `${step} compensate`}`, {
    parent: row.cause.traceparent,
    attributes: {
      [attributeName('saga.id')]: row.id,
      [attributeName('saga.type')]: row.type,
      [attributeName('saga.step')]: step,
      [attributeName('saga.phase')]: phase,
      [attributeName('saga.attempt')]: attempt,
    },
  });
  return { cause: { ...cause, traceparent: span.traceparent }, span };
}

/** What a step's action or compensation sees. */
export function stepContext<D>(
  deps: StepContextDeps,
  row: SagaRow,
  f: {
    step: string;
    stepKey: string;
    attempt: number;
    wakeUp: WakeUp;
    data: unknown;
    tx: StepTx;
    cause: Causation;
    failure?: store.Failure;
  },
): SagaStepContext<D> {
  const ctx: SagaStepContext<D> = {
    sagaId: row.id,
    sagaType: row.type,
    step: f.step,
    data: f.data as D,
    stepKey: f.stepKey,
    attempt: f.attempt,
    wakeUp: f.wakeUp,
    tx: f.tx,
    call: callFrom(deps, f.tx, f.cause),
    log: deps.log.child({ sagaId: row.id, sagaType: row.type, step: f.step }),
    metrics: deps.metrics,
  };
  if (f.failure) ctx.failure = f.failure;
  return ctx;
}

/** The step's RPC: a transaction carried into the step commits before it calls out. */
function callFrom(deps: StepContextDeps, tx: StepTx, cause: Causation): Call {
  const call = deps.call(cause);
  return (async (contract, method, request, options) => {
    await tx.beforeCall();
    return call(contract, method, request, options);
  }) as Call;
}
