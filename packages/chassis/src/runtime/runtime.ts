/**
 * The runtime: hosts services in this process on one transport, with one HTTP server for health,
 * metrics and the services' routes, and drains everything on stop. The all-in-one mode hosts every
 * service here; the distributed mode hosts one service per process.
 */
import { metricName, namespace, namingSettings } from '../config/naming.ts';
import type { FastifyInstance } from 'fastify';
import { loadAll } from '../config/env.ts';
import { FeatureFlags, featureFlagSettings } from '../config/flags.ts';
import { Database, databaseUrl, ensureDatabase, untilDatabaseAnswers } from '../db/database.ts';
import { createHttpServer, type ReadinessReport } from '../http/server.ts';
import { createLogger, logSettings, type Logger } from '../observability/logger.ts';
import { Metrics } from '../observability/metrics.ts';
import { outboxSettings } from '../messaging/relay.ts';
import { startTracing, stopTracing } from '../observability/tracing.ts';
import { sleep } from '../resilience/backoff.ts';
import { sheddingSettings } from '../resilience/shedding.ts';
import type { Transport } from '../transport/transport.ts';
import { ServiceHost, type HostOptions } from './host.ts';
import type { ServiceDefinition } from './service.ts';
import { contractSettings } from './rpc-endpoint.ts';

/** Settings of the chassis itself, one value for every service of a process; checked with the others. */
/** The chassis's own settings in every process, checked at start with the services' (one report). */
export const processSettings = [
  namingSettings,
  featureFlagSettings,
  outboxSettings,
  sheddingSettings,
  contractSettings,
  logSettings,
] as const;

export interface RuntimeOptions {
  services: readonly ServiceDefinition<any>[];
  transport: Transport;
  /** Where each service's database lives: a URL per service. */
  databaseUrlFor: (service: string) => string;
  /** Create a service's database when it does not exist (embedded or shared server). */
  createDatabases?: boolean;
  port: number;
  host?: string;
  logLevel?: string;
  /** Tuning for tests: faster polls and redeliveries. */
  hostOptions?: Partial<Omit<HostOptions, 'transport' | 'db' | 'log' | 'metrics'>>;
  /** Bound on the graceful drain. */
  drainTimeoutMs?: number;
  /** Where services' settings are read from (default process.env). */
  environment?: NodeJS.ProcessEnv;
}

export class Runtime {
  readonly hosts: ServiceHost[] = [];
  readonly metrics = new Metrics();
  readonly log: Logger;
  private readonly databases: Database[] = [];
  private http: FastifyInstance | undefined;
  private stopping: Promise<void> | undefined;
  private draining = false;
  private tracing = false;
  /** The process's feature flags, shared by its services (`ctx.flags`). */
  flags = FeatureFlags.of();
  address = '';

  constructor(private readonly options: RuntimeOptions) {
    this.log = createLogger({
      service: options.services.length === 1 ? options.services[0]!.contract.service : namespace(),
      ...(options.logLevel ? { level: options.logLevel } : {}),
    });
  }

  host(service: string): ServiceHost {
    const h = this.hosts.find((x) => x.name === service);
    if (!h) throw new Error(`No service ${service} in this runtime`);
    return h;
  }

  /** Starts everything; on failure, stops what had started and rethrows. */
  async start(): Promise<void> {
    try {
      await this.startAll();
    } catch (err) {
      await this.stop().catch(() => {});
      throw err;
    }
  }

  private async startAll(): Promise<void> {
    const { transport, services } = this.options;
    loadAll([...processSettings, ...services.flatMap((s) => s.settings ?? [])], this.options.environment);
    const outboxRetentionMs = outboxSettings.value.SIMPLEBANK_OUTBOX_RETENTION_HOURS * 3_600_000;
    this.flags = FeatureFlags.fromSettings(featureFlagSettings.value, this.log);
    // One tracer provider for the process; OTLP export when OTEL_EXPORTER_OTLP_ENDPOINT is set.
    startTracing({
      services: services.map((s) => s.contract.service),
      environment: this.options.environment ?? process.env,
    });
    this.tracing = true;
    await transport.connect();
    for (const definition of services) {
      const name = definition.contract.service;
      const url = this.options.databaseUrlFor(name);
      if (this.options.createDatabases) {
        const u = new URL(url);
        await untilDatabaseAnswers(this.log, () => ensureDatabase(databaseUrl(url, 'postgres'), u.pathname.slice(1)));
      }
      const db = new Database({ url, name, maxConnections: 20 });
      this.databases.push(db);
      const log = createLogger({ service: name, ...(this.options.logLevel ? { level: this.options.logLevel } : {}) });
      this.hosts.push(
        new ServiceHost(definition, {
          outboxRetentionMs,
          ...this.options.hostOptions,
          transport,
          db,
          log,
          metrics: this.metrics,
          flags: this.flags,
          httpAddress: () => this.address,
        }),
      );
    }
    // Every intake first (migrations, consumers, RPC endpoints), then background work (relays,
    // sagas, workers): nothing is published before every subscriber in the process listens.
    for (const host of this.hosts) await host.startIntake();
    for (const host of this.hosts) await host.startWork();

    const app = createHttpServer({ log: this.log, metrics: this.metrics, readiness: () => this.readiness() });
    for (const host of this.hosts) {
      if (host.definition.http) await host.definition.http(app, host.baseContext);
    }
    this.registerQueueDepthGauges();
    this.http = app;
    this.address = await app.listen({ port: this.options.port, host: this.options.host ?? '127.0.0.1' });
  }

  /**
   * Queue depth at scrape time, from the transport when it can tell (`queueDepths`): gauges
   * `simplebank_queue_depth` (ready), `simplebank_queue_unacked` and `simplebank_queue_consumers`,
   * labelled `service` (the consuming service: the queue's group, else the `<service>.`/`rpc.<service>`
   * prefix of its name when that is a service here, else this process's services) and `queue`.
   */
  private registerQueueDepthGauges(): void {
    const transport = this.options.transport;
    if (!transport.queueDepths) return;
    const depth = this.metrics.gauge(metricName('queue_depth'), 'Messages ready in a queue this process consumes', [
      'service',
      'queue',
    ]);
    const unacked = this.metrics.gauge(
      metricName('queue_unacked'),
      'Messages delivered and not yet acknowledged (0 where the transport cannot tell)',
      ['service', 'queue'],
    );
    const consumers = this.metrics.gauge(metricName('queue_consumers'), 'Consumers of a queue this process consumes', [
      'service',
      'queue',
    ]);
    const names = new Set(this.options.services.map((s) => s.contract.service));
    const fallback = names.size === 1 ? [...names][0]! : namespace();
    const serviceOf = (queue: string, group: string | undefined): string => {
      if (group) return group;
      const prefix = queue.startsWith('rpc.') ? queue.slice(4) : queue.slice(0, Math.max(0, queue.indexOf('.')));
      return names.has(prefix) ? prefix : fallback;
    };
    const stopCollecting = this.metrics.addCollector(async () => {
      if (this.draining) return;
      const rows = await transport.queueDepths!();
      depth.reset();
      unacked.reset();
      consumers.reset();
      for (const r of rows) {
        const labels = { service: serviceOf(r.queue, r.group), queue: r.queue };
        depth.set(labels, r.ready);
        unacked.set(labels, r.unacked);
        consumers.set(labels, r.consumers);
      }
    });
    this.stopCollectors.push(stopCollecting);
  }

  private readonly stopCollectors: Array<() => void> = [];

  readiness(): ReadinessReport {
    const checks = this.draining
      ? [{ name: 'runtime', ready: false, detail: 'draining' }]
      : this.hosts.flatMap((h) => h.readiness());
    return { ready: checks.every((c) => c.ready), checks };
  }

  /**
   * Graceful stop: readiness false and no new HTTP requests; in-process work settles (bounded);
   * consumers stop; sagas and outbox relays finish and flush; connections close. Safe to call twice.
   */
  stop(): Promise<void> {
    this.stopping ??= this.drain();
    return this.stopping;
  }

  private async drain(): Promise<void> {
    const deadline = Date.now() + (this.options.drainTimeoutMs ?? 10_000);
    this.draining = true;
    this.log.info('draining');
    await this.http
      ?.close()
      .catch((err: unknown) => this.log.warn({ err }, 'drain: the HTTP server did not close cleanly'));
    // Let messages already committed reach their consumers while every consumer still runs.
    while (Date.now() < deadline - 2000) {
      const backlog = await Promise.all(
        this.databases.map((db) =>
          db
            .query<{ n: string }>('SELECT count(*) AS n FROM chassis_outbox WHERE published_at IS NULL')
            .then((r) => Number(r.rows[0]?.n ?? 0))
            .catch(() => 0),
        ),
      );
      if (backlog.every((n) => n === 0)) break;
      await sleep(50);
    }
    for (const stopCollecting of this.stopCollectors.splice(0)) stopCollecting();
    await Promise.allSettled(this.hosts.map((h) => h.stopIntake()));
    await Promise.allSettled(this.hosts.map((h) => h.stop(Math.max(1000, deadline - Date.now()))));
    this.flags.stop();
    await this.options.transport
      .close()
      .catch((err: unknown) => this.log.warn({ err }, 'drain: the transport did not close cleanly'));
    await Promise.allSettled(this.databases.map((db) => db.close()));
    // Spans still buffered are exported, within a bound.
    if (this.tracing) {
      this.tracing = false;
      await stopTracing(Math.min(5000, Math.max(1000, deadline - Date.now())));
    }
    this.log.info('stopped');
  }
}
