/**
 * Figures read from SimpleBank's own /metrics (Prometheus text): the outbox relay lag histogram
 * (`simplebank_outbox_relay_lag_seconds`, commit → publish confirm), summed over every service and
 * process. A quantile from buckets is the upper bound of the bucket it falls in: "≤ this".
 */
import { round } from './hist.ts';

const RELAY_LAG = 'simplebank_outbox_relay_lag_seconds_bucket';

/** Cumulative bucket counts by upper bound (seconds; Infinity for +Inf), summed over labels. */
export type Buckets = Map<number, number>;

export function parseBuckets(text: string, name: string): Buckets {
  const out: Buckets = new Map();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const le = /le="([^"]+)"/.exec(line)?.[1];
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (le === undefined || !Number.isFinite(value)) continue;
    const bound = le === '+Inf' ? Infinity : Number(le);
    out.set(bound, (out.get(bound) ?? 0) + value);
  }
  return out;
}

/** The relay lag buckets of every endpoint, summed; undefined when no endpoint exposes the metric. */
export async function scrapeRelayLag(endpoints: string[]): Promise<Buckets | undefined> {
  const total: Buckets = new Map();
  let seen = false;
  for (const url of endpoints) {
    const text = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) })
      .then((r) => (r.ok ? r.text() : ''))
      .catch(() => '');
    const b = parseBuckets(text, RELAY_LAG);
    if (b.size > 0) seen = true;
    for (const [le, v] of b) total.set(le, (total.get(le) ?? 0) + v);
  }
  return seen ? total : undefined;
}

/** The q-quantile (0–1) of the observations between two scrapes, in ms (the bucket's upper bound). */
export function quantileMs(before: Buckets, after: Buckets, q: number): { count: number; ms: number | null } {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const count = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0);
  if (count <= 0) return { count: 0, ms: null };
  for (const le of bounds) {
    const cumulative = (after.get(le) ?? 0) - (before.get(le) ?? 0);
    if (cumulative >= q * count) return { count, ms: Number.isFinite(le) ? round(le * 1000) : null };
  }
  return { count, ms: null };
}
