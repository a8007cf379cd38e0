/**
 * A service's golden signals as its process counts them (`_signals`): totals since the process
 * started, read from its prom-client registry, and its outbox and queues now. Totals rather than
 * rates, so that whoever samples them (the operations console) takes the difference between two
 * readings over the time it chose: one sample misses nothing, and no window is fixed here.
 */
import { metricName } from '../config/naming.ts';
import { outboxBacklog } from '../messaging/outbox.ts';
import type { Queryable } from '../db/database.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Transport } from '../transport/transport.ts';

export interface LatencyTotals {
  count: number;
  sum: number;
  /** Cumulative counts per upper bound in seconds (Prometheus `le`, the +Inf bucket being `count`). */
  buckets: Array<{ le: number; count: number }>;
}

export interface Signals {
  service: string;
  at: string;
  /**
   * Requests served: RPC calls answered and HTTP requests (the gateway's public API), since the
   * process started. System methods (`_readiness`, `_signals`…) are left out: a console watching
   * would otherwise see mostly itself.
   */
  requests: number;
  /** Of which failed on the server's side (5xx, a fault or a deadline passed; a client's mistake is no error here). */
  errors: number;
  latency: LatencyTotals;
  /** RPC requests being answered now (an HTTP request at the gateway is not counted). */
  inFlight: number;
  /** Outbox rows not yet published, and how long the oldest has waited (seconds). */
  outbox: { backlog: number; oldestAgeSeconds: number };
  /** Outbox commit to publish confirm: totals, as latency. */
  relayLag: { count: number; sum: number };
  /** The queues this service consumes, as the transport tells them now (none where it cannot). */
  queues: Array<{ queue: string; ready: number; unacked: number; consumers: number }>;
}

interface Sample {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

async function samples(metrics: Metrics, name: string): Promise<Sample[]> {
  const metric = metrics.registry.getSingleMetric(name);
  return metric ? ((await metric.get()).values as Sample[]) : [];
}

/** Adds a histogram's samples of `service` into `into`; `failed` says which label sets are errors. */
function addHistogram(
  values: Sample[],
  service: string,
  into: LatencyTotals,
  counts: { requests: number; errors: number },
  failed: (labels: Sample['labels']) => boolean,
): void {
  const buckets = new Map(into.buckets.map((b) => [b.le, b]));
  for (const v of values) {
    if (v.labels.service !== service || String(v.labels.method ?? '').startsWith('_')) continue;
    if (v.metricName?.endsWith('_count')) {
      into.count += v.value;
      counts.requests += v.value;
      if (failed(v.labels)) counts.errors += v.value;
    } else if (v.metricName?.endsWith('_sum')) into.sum += v.value;
    else if (v.metricName?.endsWith('_bucket') && v.labels.le !== '+Inf') {
      const le = Number(v.labels.le);
      const b = buckets.get(le) ?? { le, count: 0 };
      b.count += v.value;
      buckets.set(le, b);
    }
  }
  into.buckets = [...buckets.values()].sort((a, b) => a.le - b.le);
}

export async function signalsOf(
  service: string,
  metrics: Metrics,
  db: Queryable,
  transport: Transport,
  inFlight: number,
): Promise<Signals> {
  const latency: LatencyTotals = { count: 0, sum: 0, buckets: [] };
  const counts = { requests: 0, errors: 0 };
  addHistogram(
    await samples(metrics, metricName('rpc_server_duration_seconds')),
    service,
    latency,
    counts,
    (l) => l.outcome === 'server_error' || l.outcome === 'timeout',
  );
  addHistogram(
    await samples(metrics, metricName('http_server_duration_seconds')),
    service,
    latency,
    counts,
    (l) => l.status_class === '5xx',
  );
  const relayLag = { count: 0, sum: 0 };
  for (const v of await samples(metrics, metricName('outbox_relay_lag_seconds'))) {
    if (v.labels.service !== service) continue;
    if (v.metricName?.endsWith('_count')) relayLag.count += v.value;
    else if (v.metricName?.endsWith('_sum')) relayLag.sum += v.value;
  }
  const [backlog, depths] = await Promise.all([outboxBacklog(db), transport.queueDepths?.() ?? Promise.resolve([])]);
  // A queue is this service's when the transport says so, else by its name (`<service>.…`, `rpc.<service>`).
  const queues = depths
    .filter((q) =>
      q.group !== undefined ? q.group === service : q.queue.startsWith(`${service}.`) || q.queue === `rpc.${service}`,
    )
    .map((q) => ({ queue: q.queue, ready: q.ready, unacked: q.unacked, consumers: q.consumers }));
  return {
    service,
    at: new Date().toISOString(),
    ...counts,
    latency,
    inFlight,
    outbox: { backlog: backlog.count, oldestAgeSeconds: backlog.oldestAgeSeconds },
    relayLag,
    queues,
  };
}
