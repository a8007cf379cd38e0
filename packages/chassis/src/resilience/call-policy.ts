/**
 * The policy of calls to one dependency (an HTTP API, typically): a timeout per attempt, retries
 * (only of retryable failures, only for idempotent operations, exponential back-off with full
 * jitter, capped, and only within the deadline), and the dependency's circuit breaker around each
 * attempt. The caller's attempt reports its own outcome (`classify`), so that a client that sorts
 * answers rather than throwing keeps doing so.
 *
 * Every attempt also takes a slot of the dependency's bulkhead (one per (service, target) in this
 * process, shared by every policy towards it: given, or the registry's default of 32 running and 64
 * queued). A full bulkhead refuses fast: `run` throws `UnavailableError(…, 'bulkhead_full')`, not
 * retried here (a retry would only add to the load).
 */
import { backoffDelay, sleep, type BackoffPolicy } from './backoff.ts';
import { BreakerOpenError, type Breaker } from './breaker.ts';
import { bulkheads, type Bulkhead } from './bulkhead.ts';

export interface CallPolicyOptions {
  breaker: Breaker;
  /** The timeout of one attempt (never more than what is left of the deadline). */
  timeoutMs: number;
  /** Attempts in all for idempotent operations (1: no retry). */
  maxAttempts?: number;
  backoff?: BackoffPolicy;
  random?: () => number;
  /** The dependency's bulkhead; by default the registry's one for the breaker's (service, target). */
  bulkhead?: Bulkhead;
}

export type Classified = 'ok' | 'retryable' | 'final';

export type CallResult<T> =
  /** The last attempt's answer, with how it was classified. */
  | { kind: 'answered'; value: T; outcome: Classified; attempts: number }
  /** The breaker is open: nothing was sent (by this attempt); look again at `retryAt`. */
  | { kind: 'breaker_open'; retryAt: number; forced: boolean; attempts: number }
  /** The deadline passed before an attempt could start. */
  | { kind: 'deadline'; attempts: number };

class RetryableAnswer<T> extends Error {
  constructor(readonly value: T) {
    super('retryable answer');
  }
}

export class CallPolicy {
  readonly bulkhead: Bulkhead;

  constructor(readonly options: CallPolicyOptions) {
    const { breaker } = options;
    this.bulkhead = options.bulkhead ?? bulkheads.get(breaker.service, breaker.target, {}, [...breaker.metrics][0]);
  }

  /**
   * Runs `attempt` with a signal that aborts at its timeout. `classify` sorts each answer: `ok`,
   * `retryable` (a failure worth trying again: counts against the breaker) or `final` (an answer
   * the dependency means, such as a 4xx: not retried, and not a failure of the dependency).
   */
  async run<T>(
    attempt: (signal: AbortSignal) => Promise<T>,
    classify: (value: T) => Classified,
    opts: { idempotent: boolean; deadline?: number },
  ): Promise<CallResult<T>> {
    const { breaker, timeoutMs } = this.options;
    const maxAttempts = opts.idempotent ? Math.max(1, this.options.maxAttempts ?? 3) : 1;
    const backoff = this.options.backoff ?? { baseMs: 50, capMs: 1000 };
    for (let n = 1; ; n++) {
      const left = opts.deadline === undefined ? Infinity : opts.deadline - Date.now();
      if (left <= 0) return { kind: 'deadline', attempts: n - 1 };
      const ms = Math.max(1, Math.min(timeoutMs, left));
      let value: T;
      let outcome: Classified;
      try {
        value = await this.bulkhead.execute(() =>
          breaker.execute(async () => {
            const controller = new AbortController();
            const timer = setTimeout(
              () => controller.abort(new DOMException(`timed out after ${ms} ms`, 'TimeoutError')),
              ms,
            );
            let v: T;
            try {
              v = await attempt(controller.signal);
            } finally {
              clearTimeout(timer);
            }
            if (classify(v) === 'retryable') throw new RetryableAnswer(v);
            return v;
          }),
        );
        outcome = classify(value);
      } catch (err) {
        if (err instanceof BreakerOpenError)
          return { kind: 'breaker_open', retryAt: err.retryAt, forced: err.forced, attempts: n - 1 };
        if (!(err instanceof RetryableAnswer)) throw err;
        value = err.value as T;
        outcome = 'retryable';
      }
      if (outcome !== 'retryable' || n >= maxAttempts) return { kind: 'answered', value, outcome, attempts: n };
      const delay = backoffDelay(n, backoff, this.options.random);
      if (opts.deadline !== undefined && Date.now() + delay >= opts.deadline)
        return { kind: 'answered', value, outcome, attempts: n };
      await sleep(delay);
    }
  }
}
