/**
 * Circuit breakers per dependency: one per (service, target) in this process, kept in a registry,
 * built on cockatiel's CircuitBreakerPolicy with a SamplingBreaker (it opens when the failure rate
 * over a window passes a threshold, once the window holds a minimum number of calls; after a
 * back-off it lets one probe through (half-open): a success closes it, a failure opens it again
 * for longer, up to a cap).
 *
 * Exported as the gauge `simplebank_circuit_breaker_state{service,target}` (0 closed, 0.5
 * half-open, 1 open or forced open), read at each scrape, and as readiness checks (see
 * `breakerReadiness`). An operator can force a breaker open and release it (the `_breaker` system
 * method, or the `forceOpen` setting).
 *
 * Readiness: an open breaker of a *critical* dependency makes its service not ready, with the
 * detail `<target> breaker open`. It never keeps a process out of a load balancer for long: an
 * open breaker counts as open only until its back-off ends (capped by `maxHalfOpenAfterMs`); then
 * it is half-open (a probe may go), which is ready, whether or not a call came to probe it. A
 * breaker forced open by an operator is shown in the detail but does not make the service
 * unready: the operator chose it, and it may last any time.
 */
import { metricName } from '../config/naming.ts';
import {
  BrokenCircuitError,
  CircuitBreakerPolicy,
  CircuitState,
  IsolatedCircuitError,
  SamplingBreaker,
  circuitBreaker,
  handleAll,
  type IBackoff,
} from 'cockatiel';
import type { Metrics } from '../observability/metrics.ts';

export interface BreakerSettings {
  /** Failure rate (0 < r < 1) over the window past which the breaker opens. */
  failureRate: number;
  /** The sampling window. */
  windowMs: number;
  /** Calls the window must hold before the breaker may open. */
  minimumCalls: number;
  /** The first back-off before a probe; doubled after each failed probe, up to `maxHalfOpenAfterMs`. */
  halfOpenAfterMs: number;
  maxHalfOpenAfterMs: number;
  /** A critical dependency's open breaker makes the service not ready. */
  critical: boolean;
  /** Held open from the start (tests; an operator's setting). */
  forceOpen: boolean;
}

export const DEFAULT_BREAKER_SETTINGS: BreakerSettings = {
  failureRate: 0.5,
  windowMs: 10_000,
  minimumCalls: 5,
  halfOpenAfterMs: 1000,
  maxHalfOpenAfterMs: 30_000,
  critical: false,
  forceOpen: false,
};

export type BreakerState = 'closed' | 'open' | 'half-open' | 'forced-open';

/** The gauge value of a state: 0 closed, 0.5 half-open, 1 open. */
export function breakerGaugeValue(state: BreakerState): number {
  return state === 'closed' ? 0 : state === 'half-open' ? 0.5 : 1;
}

/** The back-off before a probe: doubling per consecutive opening, capped; remembers the last one. */
class HalfOpenBackoff implements IBackoff<{ attempt: number }> {
  constructor(
    private readonly breaker: Breaker,
    readonly duration: number,
  ) {}
  next(context: { attempt: number }): IBackoff<{ attempt: number }> {
    const { halfOpenAfterMs, maxHalfOpenAfterMs } = this.breaker.settings;
    const d = Math.min(maxHalfOpenAfterMs, halfOpenAfterMs * 2 ** Math.max(0, context.attempt - 1));
    this.breaker.opened(d);
    return new HalfOpenBackoff(this.breaker, d);
  }
}

export class Breaker {
  readonly policy: CircuitBreakerPolicy;
  private openedAt = 0;
  private openForMs = 0;
  private isolation: { dispose(): void } | undefined;
  /** Metrics registries the state is exported to. */
  readonly metrics = new Set<Metrics>();

  constructor(
    readonly service: string,
    readonly target: string,
    readonly settings: BreakerSettings,
    private readonly now: () => number = Date.now,
  ) {
    const windowSeconds = Math.max(0.001, settings.windowMs / 1000);
    this.policy = circuitBreaker(handleAll, {
      halfOpenAfter: new HalfOpenBackoff(this, settings.halfOpenAfterMs),
      breaker: new SamplingBreaker({
        threshold: settings.failureRate,
        duration: settings.windowMs,
        minimumRps: settings.minimumCalls / windowSeconds,
      }),
    });
    if (settings.forceOpen) this.forceOpen();
  }

  /** Called by the back-off when the breaker opens for `ms`. */
  opened(ms: number): void {
    this.openedAt = this.now();
    this.openForMs = ms;
  }

  get forced(): boolean {
    return this.isolation !== undefined;
  }

  /** The state as operators see it: open only until its back-off ends, then half-open (a probe may go). */
  get state(): BreakerState {
    switch (this.policy.state) {
      case CircuitState.Isolated:
        return 'forced-open';
      case CircuitState.HalfOpen:
        return 'half-open';
      case CircuitState.Open:
        return this.now() < this.openedAt + this.openForMs ? 'open' : 'half-open';
      default:
        return 'closed';
    }
  }

  /** When a caller kept waiting should look again. */
  retryAt(): number {
    const now = this.now();
    if (this.policy.state === CircuitState.Open) return Math.max(now + 1, this.openedAt + this.openForMs);
    return now + Math.max(10, Math.min(this.settings.halfOpenAfterMs, 1000));
  }

  /** Runs `fn` through the breaker; a thrown error counts as a failure. Throws `BreakerOpenError` while open or probing. */
  async execute<T>(fn: () => Promise<T>): Promise<T> {
    // One probe at a time, and the others fail fast (cockatiel would have them wait for the probe).
    if (this.policy.state === CircuitState.HalfOpen) throw new BreakerOpenError(this.target, this.retryAt(), false);
    try {
      return await this.policy.execute(fn);
    } catch (err) {
      if (err instanceof BrokenCircuitError || err instanceof IsolatedCircuitError)
        throw new BreakerOpenError(this.target, this.retryAt(), this.forced);
      throw err;
    }
  }

  forceOpen(): void {
    this.isolation ??= this.policy.isolate();
  }

  /** Back to automatic: the breaker closes (cockatiel resets an isolated breaker when released). */
  release(): void {
    this.isolation?.dispose();
    this.isolation = undefined;
  }
}

export class BreakerOpenError extends Error {
  constructor(
    readonly target: string,
    readonly retryAt: number,
    readonly forced: boolean,
  ) {
    super(`${target} breaker ${forced ? 'forced open' : 'open'}`);
    this.name = 'BreakerOpenError';
  }
}

/** The breakers of this process, per (service, target). */
export class BreakerRegistry {
  private readonly breakers = new Map<string, Breaker>();

  /**
   * The breaker of `service` towards `target`, made on first use from `settings` (over the
   * defaults). With `metrics`, its state is exported there.
   */
  get(service: string, target: string, settings: Partial<BreakerSettings> = {}, metrics?: Metrics): Breaker {
    const key = `${service}\u0000${target}`;
    let breaker = this.breakers.get(key);
    if (!breaker) {
      breaker = new Breaker(service, target, { ...DEFAULT_BREAKER_SETTINGS, ...settings });
      this.breakers.set(key, breaker);
    }
    if (metrics && !breaker.metrics.has(metrics)) {
      breaker.metrics.add(metrics);
      this.export(metrics);
    }
    return breaker;
  }

  find(service: string, target: string): Breaker | undefined {
    return this.breakers.get(`${service}\u0000${target}`);
  }

  of(service: string): Breaker[] {
    return [...this.breakers.values()].filter((b) => b.service === service);
  }

  /** Forgets `service`'s (it stopped; started again in this process, it makes new ones). */
  forget(service: string): void {
    for (const [key, b] of this.breakers) if (b.service === service) this.breakers.delete(key);
  }

  /** Forgets every breaker (tests). */
  clear(): void {
    this.breakers.clear();
  }

  private export(metrics: Metrics): void {
    const registry = this;
    metrics.gauge(
      metricName('circuit_breaker_state'),
      'Circuit breaker state per dependency: 0 closed, 0.5 half-open, 1 open',
      ['service', 'target'],
      function () {
        for (const b of registry.breakers.values()) {
          if (b.metrics.has(metrics)) this.set({ service: b.service, target: b.target }, breakerGaugeValue(b.state));
        }
      },
    );
  }
}

/** The registry of this process. */
export const breakers = new BreakerRegistry();

/** A readiness check per breaker of `service` (see the module's note on what makes it not ready). */
export function breakerReadiness(
  service: string,
  registry: BreakerRegistry = breakers,
): Array<{ name: string; ready: boolean; detail?: string }> {
  return registry.of(service).map((b) => {
    const state = b.state;
    const name = `${service}:breaker:${b.target}`;
    if (state === 'closed') return { name, ready: true };
    if (state === 'forced-open') return { name, ready: true, detail: `${b.target} breaker forced open` };
    return { name, ready: !(state === 'open' && b.settings.critical), detail: `${b.target} breaker ${state}` };
  });
}
