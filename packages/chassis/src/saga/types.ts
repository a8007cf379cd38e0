/**
 * The saga orchestrator's vocabulary. A saga reads like the business process, top to bottom: steps
 * with their actions, each compensation beside the step it undoes (Temporal's samples; seed 003
 * L265–274: compensatable steps, the pivot, then retriable steps).
 */
import type { Static, TSchema } from '@sinclair/typebox';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Call } from '../messaging/rpc.ts';
import type { Tx } from '../messaging/tx.ts';
import { AppError } from '../errors.ts';

/**
 * The signals a saga waits for, each with the schema of its payload — usually the data of the
 * contract event that causes it (`filled: marketContract.events.OrderFilledOnExchange.data`). A
 * signal's payload is checked against its schema when it is sent, so a step reads it typed.
 */
export type SignalDefs = Record<string, TSchema>;

/** A signal's name of the saga's signals. */
export type SignalName<S extends SignalDefs> = keyof S & string;

/** Why this invocation of a step's action happens: with declared signals, `name` tells `payload`'s type. */
export type WakeUp<S extends SignalDefs = SignalDefs> =
  | { kind: 'start' }
  | { [K in SignalName<S>]: { kind: 'signal'; name: K; payload: Static<S[K]> } }[SignalName<S>]
  | { kind: 'timeout' };

export interface SagaStepContext<D, S extends SignalDefs = SignalDefs> {
  sagaId: string;
  sagaType: string;
  step: string;
  /** The saga's data as of this step (the input, patched by the steps before). */
  data: Readonly<D>;
  /** Idempotency key of this step's action (`<sagaId>:<step>`) or compensation (`…:compensate`): the same on every retry. */
  stepKey: string;
  /** 1 on the first try of this invocation, counting retries of technical failures. */
  attempt: number;
  wakeUp: WakeUp<S>;
  /** The transaction that also records the step's outcome: local writes and outbox commit with it. */
  tx: Tx;
  /** RPC that carries the saga's correlation id, identity and trace. */
  call: Call;
  log: Logger;
  /** The process's metrics (the service's business counters). */
  metrics: Metrics;
  /** In a compensation: why the saga is compensating. */
  failure?: { code: string; message: string };
}

/** The step is done; `patch` is merged into the saga's data. */
export type Done<D> = { kind: 'done'; patch?: Partial<D> };
/** The step waits for one of `signals` (of the saga's declared signals), or `timeoutMs`. */
export type Wait<D, K extends string = string> = {
  kind: 'wait';
  signals: readonly K[];
  timeoutMs?: number;
  patch?: Partial<D>;
};
export type StepOutcome<D, S extends SignalDefs = SignalDefs> = Done<D> | Wait<D, SignalName<S>>;

export function done<D>(patch?: Partial<D>): Done<D> {
  return patch ? { kind: 'done', patch } : { kind: 'done' };
}

/** Suspends the step until one of `signals` arrives (or `timeoutMs` passes: the action is woken with `timeout`). */
export function waitFor<D, K extends string = string>(
  signals: readonly K[],
  options: { timeoutMs?: number; patch?: Partial<D> } = {},
): Wait<D, K> {
  return { kind: 'wait', signals, ...options };
}

/**
 * The `default` of a switch over a step's signals: the switch must handle every declared signal it
 * can be woken by (else `wakeUp` is not `never` here, a compile error), and one that arrives anyway
 * fails the step loudly instead of falling through to "done".
 */
export function unhandledSignal(wakeUp: never): never {
  throw new Error(`unhandled signal ${(wakeUp as { name?: string }).name}`);
}

export interface RetryPolicy {
  /** Tries of a technical (retryable) failure before the step counts as failed. Default 5. */
  maxAttempts?: number;
  baseMs?: number;
  capMs?: number;
}

export interface SagaStep<D, S extends SignalDefs = SignalDefs> {
  name: string;
  /**
   * Invoked when the step starts, and again on every wake-up while it waits. Returns `done()` to
   * move on or `waitFor()` to suspend. Throwing a non-retryable error (e.g. SagaFailure) fails the
   * step and compensates the saga; a retryable error is retried per `retry`.
   */
  action(ctx: SagaStepContext<D, S>): Promise<StepOutcome<D, S> | void>;
  /** Undoes the step; must be idempotent and tolerate "nothing to undo". Retried until it succeeds. */
  compensate?(ctx: SagaStepContext<D, S>): Promise<void>;
  /** After a pivot step completes the saga can only go forward: later failures are retried, never compensated. */
  pivot?: boolean;
  /**
   * The action only writes through `ctx.tx` (sends, local rows, waits): it calls no one, reads
   * nothing outside the transaction and does not linger. Its start then runs in the transaction that
   * records the step before, so both commit together (one commit fewer). A call it makes anyway
   * commits that transaction first; what it writes before failing is rolled back to a savepoint.
   */
  local?: boolean;
  /** Bound on the whole step (all its tries and waits); past it the step fails with `step_timeout`. */
  timeoutMs?: number;
  retry?: RetryPolicy;
}

export interface SagaDefinition<D, S extends SignalDefs = SignalDefs> {
  /** The saga type, e.g. `PlaceOrder`. */
  name: string;
  /**
   * The signals its steps wait for, by name, each with its payload's schema. Declared, a step may
   * wait only for these, and a signal is refused unless it is one of them with a payload that fits.
   * Left out (tests, sketches): any name, payloads unchecked and `unknown`.
   */
  signals?: S;
  steps: readonly SagaStep<D, S>[];
  /**
   * The saga's business deadline (an order's expiry), written once: until the pivot, a step that
   * waits with no `timeoutMs` of its own is woken with `timeout` when it passes. Undefined: no
   * deadline (or none any more: return undefined once it has been dealt with, or it wakes every wait).
   */
  deadline?(data: D): string | Date | undefined;
  /** What a step leaves out: its retry policy. */
  defaults?: { retry?: RetryPolicy };
  /** In the transaction that records completion. */
  onCompleted?(ctx: SagaStepContext<D, S>): Promise<void>;
  /** In the transaction that records the end of compensation; `ctx.failure` says why. */
  onCompensated?(ctx: SagaStepContext<D, S>): Promise<void>;
}

export function defineSaga<D, S extends SignalDefs = SignalDefs>(
  definition: SagaDefinition<D, S>,
): SagaDefinition<D, S> {
  const names = new Set<string>();
  for (const s of definition.steps) {
    if (names.has(s.name)) throw new Error(`Saga ${definition.name}: two steps named ${s.name}`);
    names.add(s.name);
  }
  return definition;
}

/** A business failure of a step: not retried; the saga compensates and records `code`. */
export class SagaFailure extends AppError {
  constructor(code: string, message: string) {
    super(code, message, { status: 422, retryable: false });
  }
}

export type SagaStatus = 'running' | 'waiting' | 'compensating' | 'completed' | 'compensated' | 'failed';

export interface SagaInspection {
  id: string;
  type: string;
  status: SagaStatus;
  data: unknown;
  currentStep: string | null;
  failure: { code: string; message: string } | null;
  createdAt: string;
  updatedAt: string;
  /** The trace of the work that began the saga (its W3C trace id), to find every span of it; null when it was not traced. */
  traceId: string | null;
  log: Array<{
    step: string;
    phase: 'action' | 'compensation';
    outcome: string;
    attempt: number;
    at: string;
    detail?: string;
  }>;
}
