/**
 * The admin's and the operator's side of the public API (role admin; /work/shared/spec/api.md,
 * services/gateway/src/routes/admin.ts and operations.ts), plus the gateway's /health/ready, which
 * the operator's `simplebank status` reads too.
 */
import { Problem } from './api.ts';

/** What GET /v1/admin/dead-letters gives per letter (the API does not hand out the message body). */
export interface DeadLetter {
  id: string;
  service: string;
  messageType: string | null;
  reason: string;
  attempts: number;
  firstFailedAt: string;
  lastFailedAt: string;
}
export interface TrialBalance {
  balanced: boolean;
  assets: { asset: string; total: string }[];
}
export interface Strategy {
  id: string;
  name: string;
  assets: { assetId: string; percentage: string }[];
  createdAt: string;
}
export interface ExchangeSettings {
  open: boolean;
  latencyMs: number;
  failureRate: number;
  fillDelayMs: number;
}
export interface SagaStep {
  step: string;
  phase: string;
  outcome: string;
  attempt: number;
  at: string;
  detail?: string;
}
export interface Saga {
  id: string;
  type: string;
  status: string;
  data: unknown;
  currentStep: string | null;
  failure: { code: string; message: string } | null;
  createdAt: string;
  updatedAt: string;
  /** The trace of the request that began it (null: not traced). */
  traceId: string | null;
  log: SagaStep[];
}
export interface ReadinessCheck {
  name: string;
  ready: boolean;
  detail?: string;
}
export interface Readiness {
  status: 'ready' | 'not_ready';
  checks: ReadinessCheck[];
}

/** The services the gateway asks for dead letters and sagas (routes/admin.ts SERVICES). */
export const SERVICES = ['accounts', 'customers', 'exchange', 'fees', 'gateway', 'holdings', 'market', 'market-data', 'notifications', 'orders', 'payments', 'reporting', 'strategies', 'strategy-orders', 'transactions'] as const;

/**
 * GET /health/ready: 503 when something is not ready, with the same body — so a 503 is an answer
 * here, not a failure. No token: readiness is public, like a load balancer's probe.
 */
export async function readiness(): Promise<Readiness> {
  const res = await fetch('/health/ready', { headers: { accept: 'application/json' } });
  if (res.status !== 200 && res.status !== 503) throw new Problem(res.status, res.statusText || 'Readiness unavailable', undefined, undefined, []);
  return (await res.json()) as Readiness;
}

export interface ServiceReadiness {
  service: string;
  ready: boolean;
  /** The failing checks' details (or names), else what is worth knowing (a breaker forced open). */
  why: string[];
}
export type BreakerState = 'closed' | 'open' | 'half-open' | 'forced-open';
export interface BreakerRow {
  service: string;
  target: string;
  state: BreakerState;
}

/** Checks are named `<service>:<check>`; a row per service, its readiness the AND of its checks. */
export function byService(checks: ReadinessCheck[]): ServiceReadiness[] {
  const rows = new Map<string, ServiceReadiness>();
  for (const c of checks) {
    const [service = c.name, ...rest] = c.name.split(':');
    const row = rows.get(service) ?? { service, ready: true, why: [] };
    row.ready &&= c.ready;
    if (!c.ready) row.why.push(c.detail ? `${rest.join(':')}: ${c.detail}` : `${rest.join(':')} not ready`);
    else if (c.detail) row.why.push(c.detail);
    rows.set(service, row);
  }
  return [...rows.values()].sort((a, b) => a.service.localeCompare(b.service));
}

/**
 * Breakers are readiness checks `<service>:breaker:<target>` (chassis breakerReadiness): no detail
 * when closed, else "<target> breaker open | half-open | forced open".
 */
export function breakersOf(checks: ReadinessCheck[]): BreakerRow[] {
  return checks.flatMap((c) => {
    const m = /^([^:]+):breaker:(.+)$/.exec(c.name);
    if (!m) return [];
    const detail = c.detail ?? '';
    const state: BreakerState = /forced open$/.test(detail) ? 'forced-open' : /half-open$/.test(detail) ? 'half-open' : /open$/.test(detail) ? 'open' : 'closed';
    return [{ service: m[1]!, target: m[2]!, state }];
  });
}
