/**
 * Defining a service: its contract, the handlers that implement it, its migrations, sagas and
 * background workers. Handlers get everything with I/O through their context (Nameko's dependency
 * injection), so the business code holds no transport and tests can hand in other dependencies.
 */
import type { TSchema } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Contract, DataOf, EventDef, CommandDef, RequestOf, ResponseOf } from '../contract/contract.ts';
import type { Watcher } from './watch.ts';
import type { Database } from '../db/database.ts';
import type { Causation, Envelope, Identity } from '../messaging/envelope.ts';
import type { Call } from '../messaging/rpc.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { TargetTable } from '../resilience/targets.ts';
import type { SagaDefinition, SagaRunner } from '../saga/index.ts';
import type { Settings } from '../config/env.ts';
import type { FeatureFlags } from '../config/flags.ts';

// A transaction with the outbox is the messaging layer's (messaging/tx.ts); services see it here too.
export type { SendOptions, Tx } from '../messaging/tx.ts';
import type { Tx } from '../messaging/tx.ts';

export interface BaseContext {
  service: string;
  log: Logger;
  db: Database;
  /** Typed RPC to another service's contract, carrying this work's deadline, identity and trace. */
  call: Call;
  sagas: SagaRunner;
  metrics: Metrics;
  /** The causation to stamp on what this work sends. */
  cause: Causation;
  /**
   * A `call` carrying another causation — for work that starts outside any message, such as an HTTP
   * request at the gateway (its request id, the caller's identity, its deadline and trace).
   */
  callWith(cause: Causation): Call;
  /** The base URL of this process's HTTP server (e.g. `http://127.0.0.1:8080`); '' until it listens. */
  httpAddress(): string;
  /** Feature flags (config/flags.ts): `ctx.flags.isEnabled('name', { customerId }, { enabled: true })`. */
  flags: FeatureFlags;
  /**
   * Every event of `events` as this instance sees it (each instance gets each one), until the service
   * drains: for news passed on as it comes, with no inbox, transaction or redelivery (runtime/watch.ts).
   */
  watch<E extends EventDef>(events: readonly E[], watcher: Watcher<E>): Promise<void>;
}

export interface RpcContext extends BaseContext {
  envelope: Envelope;
  identity: Identity | undefined;
  idempotencyKey: string | undefined;
  /**
   * Runs `fn` in a transaction of the service's database. Methods declared idempotent already run
   * in one (with the idempotency record): there `transaction` reuses it.
   */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
}

export interface MessageContext extends BaseContext {
  envelope: Envelope;
  identity: Identity | undefined;
  /** The handler's transaction: the inbox record, the handler's writes and its outbox commit together. */
  tx: Tx;
}

export type RpcHandlers<C extends Contract> = {
  [M in keyof C['rpc']]: (request: RequestOf<C['rpc'][M]>, ctx: RpcContext) => Promise<ResponseOf<C['rpc'][M]>>;
};

export interface MessageHandlerDef<D extends TSchema = TSchema> {
  message: EventDef<D> | CommandDef<D>;
  handler: (data: DataOf<EventDef<D>>, ctx: MessageContext) => Promise<void>;
  /** Unique within the service; names the consumer (queue) and its inbox. Defaults to the message type. */
  name?: string;
  prefetch?: number;
  maxAttempts?: number;
  /**
   * Group commit: messages that arrive while one of this handler's transactions runs are handled
   * together in the next one (one commit for up to `batch` messages, or `prefetch` with `true`).
   * A failure in a batch rolls it back and each message is handled again alone. For handlers that
   * only write to their own database: the consumer then runs one transaction at a time.
   */
  batch?: boolean | number;
  /**
   * With `batch`: a quiet consumer waits this long after a message arrives before it begins the
   * transaction, so that the messages of the next moments share its commit. For read models, whose
   * readers already see them a moment behind; a handler on an order's path leaves it unset (0).
   */
  lingerMs?: number;
  /**
   * Which messages concern this handler. One for which it is false is acknowledged with no
   * transaction and no inbox row: a handler that would do nothing costs the database nothing.
   */
  when?: (data: DataOf<EventDef<D>>) => boolean;
}

/** Subscribes to an event (or consumes a command) with a typed handler. */
export function on<D extends TSchema>(
  message: EventDef<D> | CommandDef<D>,
  handler: (data: DataOf<EventDef<D>>, ctx: MessageContext) => Promise<void>,
  options: Omit<MessageHandlerDef<D>, 'message' | 'handler'> = {},
): MessageHandlerDef<D> {
  return { message, handler, ...options };
}

/** Something the service runs in the background (a price feed, a poller); stopped on drain. */
export interface Worker {
  name: string;
  start(ctx: BaseContext): Promise<() => Promise<void>> | (() => Promise<void>);
}

export interface ServiceDefinition<C extends Contract = Contract> {
  contract: C;
  version?: string;
  /** Folder of NNN_name.sql migrations (a path or file URL). */
  migrations?: string | URL;
  rpc: RpcHandlers<C>;
  handlers?: MessageHandlerDef<any>[];
  sagas?: SagaDefinition<any, any>[];
  workers?: Worker[];
  /**
   * How it calls each dependency (resilience/targets.ts): per target (or `*`), one attempt's timeout,
   * retries of idempotent methods, the breaker and the bulkhead. RPC calls use it, and HTTP
   * dependencies go through the same policy (`callPolicy(ctx.service, target, …)`).
   */
  dependencies?: TargetTable;
  /** HTTP routes of the service (the gateway's public API, the simulated exchange's own API). */
  http?: (app: FastifyInstance, ctx: BaseContext) => Promise<void> | void;
  /** The service's settings (`defineSettings`), checked with every other setting before anything starts. */
  settings?: Settings<any>[];
  /**
   * Bound on concurrent RPC requests one instance handles (instead of RPC_MAX_IN_FLIGHT); past it a
   * request waits at most RPC_MAX_QUEUE_WAIT_MS (100 ms) in a bounded queue, then is refused `overloaded` (503).
   */
  rpcConcurrency?: number;
}

export function defineService<C extends Contract>(definition: ServiceDefinition<C>): ServiceDefinition<C> {
  const names = new Set<string>();
  for (const h of definition.handlers ?? []) {
    const name = h.name ?? h.message.type;
    if (names.has(name)) throw new Error(`${definition.contract.service}: two handlers named ${name}`);
    names.add(name);
    if (h.message.kind === 'command' && h.message.service !== definition.contract.service) {
      throw new Error(
        `${definition.contract.service} cannot consume ${h.message.type}: a command is consumed by the service whose contract declares it`,
      );
    }
  }
  return definition;
}
