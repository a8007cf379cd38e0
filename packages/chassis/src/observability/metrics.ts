/**
 * Prometheus metrics (prom-client): one registry per process. In the all-in-one mode every service
 * shares it and each series carries a `service` label. The chassis records the golden signals of
 * RPC methods, message handlers and HTTP routes, the outbox and dead letters; services add their
 * business metrics through `counter`/`histogram`/`gauge`.
 */
import { metricName } from '../config/naming.ts';
import client, { Registry, type Counter, type Gauge, type Histogram } from 'prom-client';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Lags of eventually consistent work: from milliseconds (keeping up) to minutes (a backlog, an outage). */
const LAG_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

export class Metrics {
  readonly registry: Registry;
  readonly rpcServerDuration: Histogram<'service' | 'method' | 'outcome'>;
  readonly rpcClientDuration: Histogram<'service' | 'target' | 'method' | 'outcome'>;
  readonly messageHandlerDuration: Histogram<'service' | 'consumer' | 'message_type' | 'outcome'>;
  readonly httpServerDuration: Histogram<'service' | 'method' | 'route' | 'status_class'>;
  readonly outboxRelayLag: Histogram<'service'>;
  readonly messageLag: Histogram<'service' | 'consumer'>;
  readonly outboxBacklog: Gauge<'service'>;
  readonly deadLetters: Gauge<'service'>;
  readonly deadLettered: Counter<'service' | 'consumer' | 'reason'>;
  readonly sagaTransitions: Counter<'service' | 'saga_type' | 'status'>;

  constructor(registry = new Registry()) {
    this.registry = registry;
    client.collectDefaultMetrics({ register: registry, prefix: metricName('process_') });
    this.rpcServerDuration = this.histogram(
      metricName('rpc_server_duration_seconds'),
      'RPC requests served, by method and outcome',
      ['service', 'method', 'outcome'],
    );
    this.rpcClientDuration = this.histogram(
      metricName('rpc_client_duration_seconds'),
      'RPC calls made, by target service, method and outcome',
      ['service', 'target', 'method', 'outcome'],
    );
    this.messageHandlerDuration = this.histogram(
      metricName('message_handler_duration_seconds'),
      'Messages handled, by consumer, type and outcome',
      ['service', 'consumer', 'message_type', 'outcome'],
    );
    this.httpServerDuration = this.histogram(
      metricName('http_server_duration_seconds'),
      'HTTP requests served, by route and status class',
      ['service', 'method', 'route', 'status_class'],
    );
    this.outboxRelayLag = this.histogram(
      metricName('outbox_relay_lag_seconds'),
      'Time from outbox commit to the message queued in order (the publish confirm; in one process, in every queue)',
      ['service'],
    );
    this.messageLag = this.histogram(
      metricName('message_lag_seconds'),
      "Time from a message's creation (its envelope time) to the commit of its handling, by consumer: how far behind a read model is",
      ['service', 'consumer'],
      LAG_BUCKETS,
    );
    this.outboxBacklog = this.gauge(metricName('outbox_backlog'), 'Outbox rows not yet published', ['service']);
    this.deadLetters = this.gauge(metricName('dead_letters'), 'Dead letters waiting for a decision', ['service']);
    this.deadLettered = this.counter(metricName('dead_lettered_total'), 'Messages moved to the dead-letter store', [
      'service',
      'consumer',
      'reason',
    ]);
    this.sagaTransitions = this.counter(metricName('saga_transitions_total'), 'Saga instances entering a status', [
      'service',
      'saga_type',
      'status',
    ]);
  }

  counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
    return (
      (this.registry.getSingleMetric(name) as Counter<L> | undefined) ??
      new client.Counter({ name, help, labelNames, registers: [this.registry] })
    );
  }

  gauge<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    collect?: (this: Gauge<L>) => void | Promise<void>,
  ): Gauge<L> {
    return (
      (this.registry.getSingleMetric(name) as Gauge<L> | undefined) ??
      new client.Gauge({ name, help, labelNames, registers: [this.registry], ...(collect ? { collect } : {}) })
    );
  }

  histogram<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    buckets = LATENCY_BUCKETS,
  ): Histogram<L> {
    return (
      (this.registry.getSingleMetric(name) as Histogram<L> | undefined) ??
      new client.Histogram({ name, help, labelNames, buckets, registers: [this.registry] })
    );
  }

  /** Runs collectors registered by services (gauges read from databases) before a scrape. */
  private readonly collectors = new Set<() => Promise<void>>();
  addCollector(fn: () => Promise<void>): () => void {
    this.collectors.add(fn);
    return () => this.collectors.delete(fn);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    await Promise.allSettled([...this.collectors].map((fn) => fn()));
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** The outcome label of an error: its class, so dashboards can tell clients' mistakes from faults. */
export function outcomeOf(err: unknown): string {
  if (!err) return 'ok';
  const e = err as { status?: number; code?: string };
  if (typeof e.status === 'number')
    return e.status < 500 ? 'client_error' : e.code === 'deadline_exceeded' ? 'timeout' : 'server_error';
  return 'server_error';
}
