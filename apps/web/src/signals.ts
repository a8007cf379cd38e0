/**
 * Golden signals from the totals GET /v1/admin/signals gives (since each process started): the
 * console keeps the last minute of readings and derives, between consecutive readings, the request
 * rate, the error rate and the p99 latency (from the latency histogram's bucket differences, as
 * Prometheus's histogram_quantile does, but answering the bucket's upper bound: no interpolation).
 * These are statistics, not money: floats are fine here.
 */

export interface Signals {
  service: string;
  at: string;
  requests: number;
  errors: number;
  latency: { count: number; sum: number; buckets: { le: number; count: number }[] };
  /** RPC requests being answered now. */
  inFlight: number;
  outbox: { backlog: number; oldestAgeSeconds: number };
  relayLag: { count: number; sum: number };
  queues: { queue: string; ready: number; unacked: number; consumers: number }[];
}
export interface SignalsReading {
  at: string;
  services: { service: string; reachable: boolean; signals: Signals | null }[];
}

/** A minute of readings taken every 2 s, plus the one the first difference needs. */
export const WINDOW_MS = 60_000;

/** Keeps the readings of the last minute (by their own times), the newest last. */
export function keepWindow(readings: SignalsReading[], next: SignalsReading): SignalsReading[] {
  const now = Date.parse(next.at);
  return [...readings, next].filter((r) => now - Date.parse(r.at) <= WINDOW_MS);
}

export interface Point {
  /** ms since the epoch: when the interval ended. */
  x: number;
  y: number;
}

/**
 * The p99 of the requests counted between two readings, in seconds: the smallest bucket bound that
 * holds 99 % of them; Infinity when they are beyond the last bound; undefined without requests.
 */
export function p99(before: Signals['latency'], after: Signals['latency']): number | undefined {
  const total = after.count - before.count;
  if (total <= 0) return undefined;
  const previous = new Map(before.buckets.map((b) => [b.le, b.count]));
  for (const b of after.buckets) if (b.count - (previous.get(b.le) ?? 0) >= 0.99 * total) return b.le;
  return Infinity;
}

export interface SignalSeries {
  /** Requests per second. */
  rate: Point[];
  /** Errors as a percentage of requests (intervals without requests are left out). */
  errorRate: Point[];
  /** p99 latency in milliseconds (intervals without requests are left out; beyond the last bucket: left out too, see slowest). */
  p99: Point[];
}

/**
 * One service's series over the readings. A total that went down (its process restarted, or another
 * instance of the service answered) starts afresh: that interval is left out, not drawn negative.
 */
export function seriesOf(readings: SignalsReading[], service: string): SignalSeries {
  const out: SignalSeries = { rate: [], errorRate: [], p99: [] };
  let last: Signals | undefined;
  for (const r of readings) {
    const s = r.services.find((x) => x.service === service)?.signals ?? undefined;
    if (!s) continue;
    if (last && s.requests >= last.requests && s.errors >= last.errors) {
      const x = Date.parse(s.at);
      const seconds = (x - Date.parse(last.at)) / 1000;
      const requests = s.requests - last.requests;
      if (seconds > 0) out.rate.push({ x, y: requests / seconds });
      if (requests > 0) out.errorRate.push({ x, y: (100 * (s.errors - last.errors)) / requests });
      const q = p99(last.latency, s.latency);
      if (q !== undefined && Number.isFinite(q)) out.p99.push({ x, y: q * 1000 });
    }
    last = s;
  }
  return out;
}

/** The mean relay lag over the readings, in ms (undefined when nothing was published meanwhile). */
export function meanRelayLagMs(readings: SignalsReading[], service: string): number | undefined {
  const all = readings
    .map((r) => r.services.find((x) => x.service === service)?.signals)
    .filter((s): s is Signals => !!s);
  const first = all[0];
  const last = all[all.length - 1];
  if (!first || !last || last.relayLag.count <= first.relayLag.count) return undefined;
  return (1000 * (last.relayLag.sum - first.relayLag.sum)) / (last.relayLag.count - first.relayLag.count);
}

/** A number for reading: at most one decimal, none when whole. */
export function reading(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}
