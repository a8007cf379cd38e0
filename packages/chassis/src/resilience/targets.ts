/**
 * How a service calls each of its dependencies, in one table: per target, the timeout of one
 * attempt, the attempts of an idempotent operation and their back-off, the circuit breaker and the
 * bulkhead. Every RPC call (`caller()`) and every HTTP dependency (market → exchange) goes through
 * the `CallPolicy` made here, so all calls share one pipeline: deadline → bulkhead → breaker →
 * timeout per attempt → retries of idempotent operations (tracing and client metrics around it).
 *
 * A row names its target (a service, or an HTTP dependency's name); the `*` row holds the service's
 * own defaults; what a row leaves out comes from `*`, then from DEFAULT_TARGET_POLICY.
 */
import type { Metrics } from '../observability/metrics.ts';
import type { BackoffPolicy } from './backoff.ts';
import { DEFAULT_BREAKER_SETTINGS, breakers, type BreakerSettings } from './breaker.ts';
import { bulkheads, type BulkheadSettings } from './bulkhead.ts';
import { CallPolicy } from './call-policy.ts';

export interface TargetPolicy {
  /** One attempt's timeout (never more than what is left of the caller's deadline). */
  timeoutMs: number;
  /** Attempts in all of an idempotent operation (1: no retry); others are tried once. */
  maxAttempts: number;
  backoff: BackoffPolicy;
  breaker: BreakerSettings;
  bulkhead: BulkheadSettings;
  /** The jitter's source (tests pin it). */
  random?: () => number;
}

/** A row of the table: any part of a policy. */
export type TargetOverrides = Partial<Omit<TargetPolicy, 'breaker' | 'bulkhead'>> & {
  breaker?: Partial<BreakerSettings>;
  bulkhead?: Partial<BulkheadSettings>;
};

/** The table: rows by target, `*` for every target. */
export type TargetTable = Readonly<Record<string, TargetOverrides>>;

/**
 * What a call gets when its service's table says nothing. The breaker probes again within 5 s at
 * most (a restarted service is used again soon); the bulkhead is wide (it bounds a slow
 * dependency's hold on this process, it does not shape normal load: admission control does).
 */
export const DEFAULT_TARGET_POLICY: TargetPolicy = {
  timeoutMs: 5000,
  maxAttempts: 3,
  backoff: { baseMs: 50, capMs: 1000 },
  breaker: { ...DEFAULT_BREAKER_SETTINGS, maxHalfOpenAfterMs: 5000 },
  bulkhead: { limit: 64, queue: 256 },
};

/** The policy of calls to `target` by the table. */
export function targetPolicy(table: TargetTable, target: string): TargetPolicy {
  const rows = [table['*'] ?? {}, table[target] ?? {}];
  const policy: TargetPolicy = {
    ...DEFAULT_TARGET_POLICY,
    breaker: { ...DEFAULT_TARGET_POLICY.breaker },
    bulkhead: { ...DEFAULT_TARGET_POLICY.bulkhead },
  };
  for (const { breaker, bulkhead, ...rest } of rows) {
    Object.assign(policy, rest);
    Object.assign(policy.breaker, breaker);
    Object.assign(policy.bulkhead, bulkhead);
  }
  return policy;
}

/**
 * The call policy of `service` towards `target`: its breaker and bulkhead are the process's one
 * per (service, target), made on first use from the table (exported to `metrics`).
 */
export function callPolicy(service: string, target: string, table: TargetTable = {}, metrics?: Metrics): CallPolicy {
  const p = targetPolicy(table, target);
  return new CallPolicy({
    breaker: breakers.get(service, target, p.breaker, metrics),
    bulkhead: bulkheads.get(service, target, p.bulkhead, metrics),
    timeoutMs: p.timeoutMs,
    maxAttempts: p.maxAttempts,
    backoff: p.backoff,
    ...(p.random ? { random: p.random } : {}),
  });
}
