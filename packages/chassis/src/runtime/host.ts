/**
 * Hosts one service: applies its migrations, serves its RPC methods, consumes its events and
 * commands, runs its outbox relay, saga runner and workers, and drains them on stop. The same host
 * runs a service alone in its process (distributed) or beside the others (all-in-one).
 */
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { untilDatabaseAnswers, type Database } from '../db/database.ts';
import { migrate, readMigrations, type Migration } from '../db/migrations.ts';
import { DEFAULT_PREFETCH, consumerName, messageConsumer, type ConsumerOptions } from './consumer.ts';
import { countDeadLetters } from '../messaging/dead-letters.ts';
import { causedBy, type Causation, type Envelope } from '../messaging/envelope.ts';
import { outboxBacklog } from '../messaging/outbox.ts';
import { OutboxRelay } from '../messaging/relay.ts';
import { caller, type CallerOptions } from '../messaging/rpc.ts';
import { outboxTx } from '../messaging/tx.ts';
import { withContext, type WorkContext } from '../observability/context.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { ActiveSpan } from '../observability/tracing.ts';
import { breakerReadiness, breakers } from '../resilience/breaker.ts';
import { bulkheads } from '../resilience/bulkhead.ts';
import { throttles } from '../resilience/throttle.ts';
import { SagaRunner } from '../saga/index.ts';
import type { Consumer, Transport } from '../transport/transport.ts';
import { ServiceOperations } from './operations.ts';
import { watchEvents } from './watch.ts';
import { RpcEndpoint } from './rpc-endpoint.ts';
import type { BaseContext, MessageContext, ServiceDefinition, Tx } from './service.ts';
import { FeatureFlags } from '../config/flags.ts';

const NO_FLAGS = FeatureFlags.of();

const CHASSIS_MIGRATIONS = fileURLToPath(new URL('../../migrations', import.meta.url));

export interface HostOptions {
  transport: Transport;
  db: Database;
  log: Logger;
  metrics: Metrics;
  /** Redeliveries before a failing message is dead-lettered. */
  maxAttempts?: number;
  redeliveryBaseMs?: number;
  redeliveryCapMs?: number;
  relayPollIntervalMs?: number;
  /** How long published events stay in the outbox, replayable (SIMPLEBANK_OUTBOX_RETENTION_HOURS). */
  outboxRetentionMs?: number;
  sagaPollIntervalMs?: number;
  sagaLeaseMs?: number;
  /** The base URL of the process's HTTP server, once it listens. */
  httpAddress?: () => string;
  /** The process's feature flags (none configured: every flag has its code's default). */
  flags?: FeatureFlags;
}

export interface ReadinessCheck {
  name: string;
  ready: boolean;
  detail?: string;
}

export class ServiceHost {
  readonly name: string;
  readonly sagas: SagaRunner;
  private readonly relay: OutboxRelay;
  private readonly consumerOptions: ConsumerOptions;
  /** Every call of this service's work: its metrics, and its table of dependencies. */
  private readonly callerOptions: CallerOptions;
  private readonly consumers: Consumer[] = [];
  private rpcConsumer: Consumer | undefined;
  private readonly rpcEndpoint: RpcEndpoint;
  private readonly operations: ServiceOperations;
  private readonly stopWorkers: Array<() => Promise<void>> = [];
  private state: 'new' | 'starting' | 'running' | 'draining' | 'stopped' = 'new';
  private dbReady = true;
  private intakeStopped: Promise<void> | undefined;
  private dbCheck: NodeJS.Timeout | undefined;
  private dbAnswered: ((err?: Error | boolean) => void) | undefined;
  private housekeeping: NodeJS.Timeout | undefined;
  readonly baseContext: BaseContext;

  constructor(
    readonly definition: ServiceDefinition<any>,
    private readonly options: HostOptions,
  ) {
    this.name = definition.contract.service;
    this.callerOptions = { metrics: options.metrics, targets: definition.dependencies ?? {} };
    const { db, log, metrics, transport } = options;
    this.relay = new OutboxRelay(db, transport, log, {
      ...(options.relayPollIntervalMs ? { pollIntervalMs: options.relayPollIntervalMs } : {}),
      ...(options.outboxRetentionMs ? { retentionMs: options.outboxRetentionMs } : {}),
      onPublished: (lagMs) => metrics.outboxRelayLag.observe({ service: this.name }, lagMs / 1000),
    });
    this.sagas = new SagaRunner({
      service: this.name,
      db,
      log,
      sagas: definition.sagas ?? [],
      metrics,
      call: (cause) => caller(transport, this.name, () => cause, this.callerOptions),
      ...(options.sagaPollIntervalMs ? { pollIntervalMs: options.sagaPollIntervalMs } : {}),
      ...(options.sagaLeaseMs ? { leaseMs: options.sagaLeaseMs } : {}),
      onTransition: (e) => metrics.sagaTransitions.inc({ service: this.name, saga_type: e.type, status: e.status }),
    });
    const rootCause: Causation = {
      correlationId: `${this.name}:background`,
      identity: { customerId: `service:${this.name}`, role: 'system' },
    };
    this.baseContext = this.context(rootCause);
    this.consumerOptions = {
      service: this.name,
      db,
      log,
      metrics,
      maxAttempts: options.maxAttempts ?? 5,
      backoff: { baseMs: options.redeliveryBaseMs ?? 200, capMs: options.redeliveryCapMs ?? 30_000 },
      context: (envelope, client, span) => this.messageContext(envelope, client, span),
    };
    this.operations = new ServiceOperations({
      name: this.name,
      db,
      transport,
      log,
      definition,
      consumerOptions: this.consumerOptions,
      sagas: this.sagas,
      readiness: () => this.readiness(),
      metrics,
      inFlight: () => this.rpcEndpoint.inFlight,
    });
    this.rpcEndpoint = new RpcEndpoint({
      name: this.name,
      definition,
      db,
      log,
      metrics,
      context: (cause) => this.context(cause),
      traced: (envelope, span) => this.traced(envelope, span),
      systemMethod: (method, req) => this.operations.call(method, req),
    });
  }

  /** The context of work caused by `cause` (handlers, workers, sagas). */
  context(cause: Causation): BaseContext {
    return {
      service: this.name,
      log: this.options.log,
      db: this.options.db,
      call: caller(this.options.transport, this.name, () => cause, this.callerOptions),
      callWith: (other) => caller(this.options.transport, this.name, () => other, this.callerOptions),
      sagas: this.sagas,
      metrics: this.options.metrics,
      cause,
      httpAddress: () => this.options.httpAddress?.() ?? '',
      flags: this.options.flags ?? NO_FLAGS,
      watch: async (events, watcher) => {
        this.consumers.push(await watchEvents(this.options.transport, this.name, this.options.log, events, watcher));
      },
    };
  }

  /** The causation of work done under `span` (a server or consumer span) for `envelope`. */
  private traced(envelope: Envelope, span: ActiveSpan): { cause: Causation; fields: WorkContext } {
    const cause = causedBy(envelope, { traceparent: span.traceparent });
    const fields: WorkContext = {
      service: this.name,
      correlationId: envelope.correlationId,
      ...span.logFields,
      ...(envelope.identity ? { customerId: envelope.identity.customerId } : {}),
    };
    return { cause, fields };
  }

  private messageContext(
    envelope: Envelope,
    client: pg.PoolClient,
    span: ActiveSpan,
  ): { ctx: MessageContext; tx: Tx & { committed: Array<() => void> }; run<T>(fn: () => T): T } {
    const { cause, fields } = this.traced(envelope, span);
    const tx = outboxTx(client, { service: this.name, cause, db: this.options.db });
    const ctx: MessageContext = { ...this.context(cause), envelope, identity: envelope.identity, tx };
    return { ctx, tx, run: (fn) => withContext(fields, fn) };
  }

  async migrate(): Promise<string[]> {
    const migrations: Migration[] = await readMigrations(CHASSIS_MIGRATIONS, 'chassis');
    if (this.definition.migrations) {
      const dir =
        this.definition.migrations instanceof URL
          ? fileURLToPath(this.definition.migrations)
          : this.definition.migrations;
      migrations.push(...(await readMigrations(dir, this.name)));
    }
    return migrate(this.options.db, migrations);
  }

  /** Everything, in order: migrations, intake (consumers, RPC endpoint), then background work. */
  async start(): Promise<void> {
    await this.startIntake();
    await this.startWork();
  }

  /**
   * Migrates, subscribes the service's consumers and opens its RPC endpoint. A runtime hosting
   * several services opens every intake before any relay runs, so that no event is published
   * while a subscriber of the same process is not listening yet (the in-memory transport keeps no
   * queue for a subscriber it has not seen).
   */
  async startIntake(): Promise<void> {
    if (this.state !== 'new') throw new Error(`${this.name} was already started`);
    this.state = 'starting';
    const { transport, log } = this.options;
    // Started while PostgreSQL restarts (a supervisor brought the service back meanwhile): wait for it.
    const applied = await untilDatabaseAnswers(log, () => this.migrate(), `${this.name}: migrations`);
    if (applied.length > 0) log.info({ migrations: applied }, 'migrations applied');
    for (const def of this.definition.handlers ?? []) {
      const name = consumerName(this.name, def);
      const source =
        def.message.kind === 'event'
          ? ({ kind: 'events', types: [def.message.type] } as const)
          : ({ kind: 'commands', queue: def.message.type } as const);
      this.consumers.push(
        await transport.subscribe(
          { group: this.name, name, source, prefetch: def.prefetch ?? DEFAULT_PREFETCH },
          messageConsumer(def, this.consumerOptions),
        ),
      );
    }
    this.rpcConsumer = await transport.serve(this.name, (body) => this.rpcEndpoint.serve(body), {
      concurrency: this.rpcEndpoint.transportConcurrency,
    });
  }

  /** Starts the outbox relay, the saga runner and the workers. */
  async startWork(): Promise<void> {
    if (this.state !== 'starting') throw new Error(`${this.name}: startIntake first`);
    const { log, metrics, db } = this.options;
    await this.relay.start();
    await this.sagas.start();
    for (const worker of this.definition.workers ?? []) {
      this.stopWorkers.push(await worker.start(this.baseContext));
    }
    metrics.addCollector(async () => {
      if (this.state !== 'running') return;
      const [backlog, dead] = await Promise.all([outboxBacklog(db), countDeadLetters(db)]);
      metrics.outboxBacklog.set({ service: this.name }, backlog.count);
      metrics.deadLetters.set({ service: this.name }, dead);
    });
    // Readiness follows the database without a query of its own while the pool is in use: a client
    // released without an error means the server answered. A ping (itself a commit) only after 15 s
    // without such an answer, or at the next check after a query failed.
    let answeredAt = Date.now();
    let failedAt = 0;
    this.dbAnswered = (err?: Error | boolean) => (err ? (failedAt = Date.now()) : (answeredAt = Date.now()));
    db.pool.on('release', this.dbAnswered);
    this.dbCheck = setInterval(() => {
      if (failedAt <= answeredAt && Date.now() - answeredAt < 15_000) this.dbReady = true;
      else void db.ping().then((ok) => (this.dbReady = ok));
    }, 5000);
    this.dbCheck.unref();
    this.housekeeping = setInterval(() => void this.operations.forgetOldRecords(), 10 * 60_000);
    this.housekeeping.unref();
    this.state = 'running';
    log.info({ handlers: this.consumers.length, sagas: (this.definition.sagas ?? []).length }, 'service started');
  }

  readiness(): ReadinessCheck[] {
    const transport = this.options.transport.health();
    const relay = this.relay.health();
    const sagas = this.sagas.health();
    return [
      {
        name: `${this.name}:lifecycle`,
        ready: this.state === 'running',
        ...(this.state !== 'running' ? { detail: this.state } : {}),
      },
      {
        name: `${this.name}:database`,
        ready: this.dbReady,
        ...(this.dbReady ? {} : { detail: 'database not answering' }),
      },
      { name: `${this.name}:transport`, ...transport },
      { name: `${this.name}:outbox-relay`, ...relay },
      { name: `${this.name}:sagas`, ...sagas },
      ...breakerReadiness(this.name),
    ];
  }

  /** Stops taking new work: consumers and the RPC endpoint stop, in-flight handlers finish. */
  stopIntake(): Promise<void> {
    if (this.state === 'new' || this.state === 'stopped') return Promise.resolve();
    this.intakeStopped ??= (async () => {
      this.state = 'draining';
      const workers = this.stopWorkers.splice(0);
      await Promise.allSettled(workers.map((stop) => stop()));
      await this.rpcConsumer?.cancel();
      await Promise.allSettled(this.consumers.splice(0).map((c) => c.cancel()));
    })();
    return this.intakeStopped;
  }

  /** Graceful stop: intake off, in-flight work finished within `timeoutMs`, the relay flushed. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.state === 'stopped') return;
    const deadline = Date.now() + timeoutMs;
    await this.stopIntake();
    await this.sagas.stop(Math.max(0, deadline - Date.now()));
    await this.relay.stop(Math.max(500, deadline - Date.now()));
    if (this.dbCheck) clearInterval(this.dbCheck);
    if (this.dbAnswered) this.options.db.pool.off('release', this.dbAnswered);
    if (this.housekeeping) clearInterval(this.housekeeping);
    // Its breakers, bulkheads and throttles go with it: a service started again in this process starts closed.
    breakers.forget(this.name);
    bulkheads.forget(this.name);
    throttles.forget(this.name);
    this.state = 'stopped';
  }
}
