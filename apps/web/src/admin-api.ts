/**
 * The admin's and the operator's side of the public API (role admin; /work/shared/spec/api.md,
 * services/gateway/src/routes/admin.ts and operations.ts).
 */
import { api } from './api.ts';

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
/** One service's readiness as it says it (GET /v1/admin/readiness); `reachable` false: it did not answer in time. */
export interface ServiceChecks {
  service: string;
  ready: boolean;
  reachable: boolean;
  checks: ReadinessCheck[];
}
export interface Readiness {
  ready: boolean;
  services: ServiceChecks[];
}

/**
 * Every service's readiness, asked of each service by the gateway wherever it runs (all-in-one or
 * distributed), not the gateway process's own /health/ready.
 */
export function readiness(): Promise<Readiness> {
  return api<Readiness>('GET', '/admin/readiness');
}

/**
 * Every service's name, alphabetical: the gateway's readiness report has a row per service of its
 * registry (services/*), so the app keeps no list of its own.
 */
export async function serviceNames(): Promise<string[]> {
  return (await readiness()).services.map((s) => s.service).sort();
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

/** A row per service: its readiness as it says it, and why — its failing checks (`<service>:<check>`), or that it did not answer. */
export function byService(report: Readiness): ServiceReadiness[] {
  const rows = report.services.map((s) => {
    if (!s.reachable) return { service: s.service, ready: false, why: [s.checks[0]?.detail ?? 'not reachable'] };
    const why = s.checks.flatMap((c) => {
      const check = c.name.split(':').slice(1).join(':');
      if (!c.ready) return [c.detail ? `${check}: ${c.detail}` : `${check} not ready`];
      return c.detail ? [c.detail] : [];
    });
    return { service: s.service, ready: s.ready, why };
  });
  return rows.sort((a, b) => a.service.localeCompare(b.service));
}

/**
 * Breakers are readiness checks `<service>:breaker:<target>` (chassis breakerReadiness): no detail
 * when closed, else "<target> breaker open | half-open | forced open".
 */
export function breakersOf(report: Readiness): BreakerRow[] {
  return report.services
    .flatMap((s) => s.checks)
    .flatMap((c) => {
      const m = /^([^:]+):breaker:(.+)$/.exec(c.name);
      if (!m) return [];
      const detail = c.detail ?? '';
      const state: BreakerState = /forced open$/.test(detail)
        ? 'forced-open'
        : /half-open$/.test(detail)
          ? 'half-open'
          : /open$/.test(detail)
            ? 'open'
            : 'closed';
      return [{ service: m[1]!, target: m[2]!, state }];
    });
}
