/**
 * Starting one service for a component test: real PostgreSQL (a fresh database), the in-memory
 * transport (optionally with faults), and its collaborators stubbed at their contracts — a stub
 * answers a contract's RPC methods with the same validation a real provider applies.
 */
import { randomUUID } from 'node:crypto';
import type {
  CommandDef,
  Contract,
  DataOf,
  EventDef,
  MessageDef,
  RequestOf,
  ResponseOf,
} from '../contract/contract.ts';
import type { Queryable } from '../db/database.ts';
import { assertValid } from '../contract/validation.ts';
import { AppError, toAppError } from '../errors.ts';
import { newEnvelope, type Causation, type Envelope, type Identity } from '../messaging/envelope.ts';
import { caller, type Call, type RpcReply } from '../messaging/rpc.ts';
import { createLogger } from '../observability/logger.ts';
import { Metrics } from '../observability/metrics.ts';
import { breakers } from '../resilience/breaker.ts';
import { bulkheads } from '../resilience/bulkhead.ts';
import { throttles } from '../resilience/throttle.ts';
import { ServiceHost, type HostOptions } from '../runtime/host.ts';
import { Runtime, type RuntimeOptions } from '../runtime/runtime.ts';
import type { ServiceDefinition } from '../runtime/service.ts';
import { MemoryTransport } from '../transport/memory.ts';
import type { Consumer, Transport } from '../transport/transport.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { FaultyTransport } from './faulty-transport.ts';

export type StubHandlers<C extends Contract> = {
  [M in keyof C['rpc']]?: (
    request: RequestOf<C['rpc'][M]>,
    envelope: Envelope,
  ) => Promise<ResponseOf<C['rpc'][M]>> | ResponseOf<C['rpc'][M]>;
};

/** Serves `contract` on `transport` with `handlers`; unimplemented methods answer `not_implemented_in_stub`. */
export async function stubService<C extends Contract>(
  transport: Transport,
  contract: C,
  handlers: StubHandlers<C>,
): Promise<Consumer> {
  return transport.serve(
    contract.service,
    async (body) => {
      let reply: RpcReply;
      try {
        const envelope = JSON.parse(body) as Envelope;
        const method = envelope.type.slice(contract.service.length + 1);
        const def = contract.rpc[method];
        const handler = (handlers as Record<string, ((req: unknown, env: Envelope) => unknown) | undefined>)[method];
        if (!def || !handler)
          throw new AppError('not_implemented_in_stub', `Stub of ${contract.service} has no ${method}`, {
            status: 501,
          });
        assertValid(def.request, envelope.data, `request to ${contract.service}.${method}`);
        const data = await handler(envelope.data, envelope);
        try {
          assertValid(def.response, data, `stub response of ${contract.service}.${method}`);
        } catch (err) {
          throw new AppError('contract_violation', (err as Error).message, {
            status: 502,
            errors: (err as AppError).errors ?? [],
          });
        }
        reply = { ok: true, data };
      } catch (err) {
        reply = { ok: false, error: toAppError(err).toWire() };
      }
      return JSON.stringify(reply);
    },
    { concurrency: 64 },
  );
}

/** Options of a message delivered by a test, as another service would publish or send it. */
export interface DeliverOptions {
  id?: string;
  /** Only with a type string (a definition carries its version). */
  version?: number;
  /** Default: the publishing service of an event, `test` for a command. */
  source?: string;
  key?: string;
  identity?: Identity;
}

/**
 * Delivers a message straight onto the transport: `deliver(paymentsContract.events.PaymentCompleted,
 * data)` (typed by the definition), or by its wire type string (data unchecked, for messages no
 * contract describes any more or broken on purpose).
 */
export interface Deliver {
  <D extends MessageDef>(message: D, data: DataOf<D>, options?: DeliverOptions): Promise<void>;
  (type: string, data: unknown, options?: DeliverOptions): Promise<void>;
}

/** What a service wrote to its outbox (published or not yet), read back typed by the definitions. */
export interface OutboxReader {
  /** The data of the events of this type the service published, in the order written. */
  published<E extends EventDef>(event: E): Promise<Array<DataOf<E>>>;
  /** The data of the commands of this type the service sent, in the order written. */
  sent<C extends CommandDef>(command: C): Promise<Array<DataOf<C>>>;
  /** Their whole envelopes (id, key, correlation…). */
  envelopes<D extends MessageDef>(message: D): Promise<Array<Envelope<DataOf<D>>>>;
}

export function outboxReader(service: string, db: Queryable): OutboxReader {
  const envelopes = async <D extends MessageDef>(message: D): Promise<Array<Envelope<DataOf<D>>>> => {
    if (message.kind === 'event' && message.service !== service)
      throw new Error(`${service} never publishes ${message.type}: events are published by ${message.service}`);
    const { rows } = await db.query<{ body: string }>(
      'SELECT body FROM chassis_outbox WHERE destination = $1 AND kind = $2 ORDER BY id',
      [message.type, message.kind],
    );
    return rows.map((r) => JSON.parse(r.body) as Envelope<DataOf<D>>);
  };
  return {
    envelopes,
    published: async (event) => (await envelopes(event)).map((e) => e.data),
    sent: async (command) => (await envelopes(command)).map((e) => e.data),
  };
}

function deliverer(transport: Transport, isCommand: (type: string) => boolean): Deliver {
  return (async (message: MessageDef | string, data: unknown, o: DeliverOptions = {}) => {
    const def = typeof message === 'string' ? undefined : message;
    const type = def ? def.type : (message as string);
    const kind = def ? def.kind : isCommand(type) ? 'command' : 'event';
    const envelope = newEnvelope({
      type,
      version: def?.version ?? o.version ?? 1,
      source: o.source ?? (def?.kind === 'event' ? def.service : 'test'),
      data,
      ...(o.identity ? { cause: { correlationId: randomUUID(), identity: o.identity } } : {}),
      ...(o.id ? { id: o.id } : {}),
      ...(o.key !== undefined ? { key: o.key } : {}),
    });
    await transport.publish({
      destination: kind === 'command' ? { kind: 'command', queue: type } : { kind: 'event', type },
      messageId: envelope.id,
      body: JSON.stringify(envelope),
    });
  }) as Deliver;
}

const commandTypes = (definitions: readonly ServiceDefinition<any>[]) =>
  new Set(definitions.flatMap((d) => Object.values(d.contract.commands ?? {}).map((c) => (c as CommandDef).type)));

export interface TestService {
  host: ServiceHost;
  transport: FaultyTransport;
  database: TestDatabase;
  metrics: Metrics;
  /** Calls any contract on the test transport, as `identity` (default: a system caller). */
  call: Call;
  callAs(identity: Identity): Call;
  /** Publishes an event or sends a command straight onto the transport, as another service would. */
  deliver: Deliver;
  /** What this service wrote to its outbox. */
  outbox(): OutboxReader;
  stop(): Promise<void>;
}

/** The test's own caller (`test`) keeps breakers (and bulkheads, throttles) like a service's: a system stopped takes them along, so the next starts closed. */
function forgetTestCaller(): void {
  breakers.forget('test');
  bulkheads.forget('test');
  throttles.forget('test');
}

export async function startTestService(
  definition: ServiceDefinition<any>,
  options: {
    stubs?: Array<(t: Transport) => Promise<Consumer>>;
    host?: Partial<HostOptions>;
    transport?: Transport;
    database?: TestDatabase;
  } = {},
): Promise<TestService> {
  const transport = new FaultyTransport(options.transport ?? new MemoryTransport());
  await transport.connect();
  const database = options.database ?? (await createTestDatabase(definition.contract.service.replace(/-/g, '_')));
  const metrics = new Metrics();
  const log = createLogger({ service: definition.contract.service, level: process.env.LOG_LEVEL ?? 'silent' });
  const stubs = await Promise.all((options.stubs ?? []).map((s) => s(transport)));
  const host = new ServiceHost(definition, {
    transport,
    db: database.db,
    log,
    metrics,
    redeliveryBaseMs: 10,
    redeliveryCapMs: 200,
    relayPollIntervalMs: 200,
    sagaPollIntervalMs: 100,
    sagaLeaseMs: 2000,
    ...options.host,
  });
  await host.start();
  const callAs = (identity: Identity): Call => {
    const cause: Causation = { correlationId: `test-${Date.now()}`, identity };
    return caller(transport, 'test', () => cause);
  };
  return {
    host,
    transport,
    database,
    metrics,
    call: callAs({ customerId: 'test', role: 'system' }),
    callAs,
    deliver: deliverer(transport, (type) => commandTypes([definition]).has(type)),
    outbox: () => outboxReader(definition.contract.service, database.db),
    async stop() {
      await host.stop(5000);
      forgetTestCaller();
      await Promise.allSettled(stubs.map((s) => s.cancel()));
      await transport.close();
      if (!options.database) await database.drop();
    },
  };
}

/** Polls `check` until it returns a truthy value (or throws after `timeoutMs`). Never asserts on time. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  options: { timeoutMs?: number; intervalMs?: number; message?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 25));
  }
  throw new Error(
    `${options.message ?? 'Condition not met in time'}${lastError ? `: ${(lastError as Error).message}` : ''}`,
  );
}

export interface TestSystem {
  runtime: Runtime;
  transport: FaultyTransport;
  /** Database of each service, by service name. */
  databases: Map<string, TestDatabase>;
  call: Call;
  callAs(identity: Identity): Call;
  /** Publishes an event or sends a command straight onto the transport, as another service would. */
  deliver: Deliver;
  /** What `service` wrote to its outbox. */
  outbox(service: string): OutboxReader;
  /** Graceful stop (drain). Keeps the databases unless `drop`. */
  stop(options?: { drop?: boolean }): Promise<void>;
}

/**
 * Starts several services in one runtime on one in-memory transport, each with its own fresh
 * database (or the ones given, to restart a system on the data of a previous one).
 */
export async function startTestSystem(
  definitions: readonly ServiceDefinition<any>[],
  options: {
    databases?: Map<string, TestDatabase>;
    hostOptions?: RuntimeOptions['hostOptions'];
    transport?: Transport;
    environment?: NodeJS.ProcessEnv;
  } = {},
): Promise<TestSystem> {
  const databases = options.databases ?? new Map<string, TestDatabase>();
  for (const d of definitions) {
    const name = d.contract.service;
    if (!databases.has(name)) databases.set(name, await createTestDatabase(name.replace(/-/g, '_')));
  }
  const transport = new FaultyTransport(options.transport ?? new MemoryTransport());
  const runtime = new Runtime({
    services: definitions,
    transport,
    databaseUrlFor: (service) => databases.get(service)!.url,
    port: 0,
    logLevel: process.env.LOG_LEVEL ?? 'silent',
    hostOptions: {
      redeliveryBaseMs: 10,
      redeliveryCapMs: 200,
      relayPollIntervalMs: 200,
      sagaPollIntervalMs: 100,
      sagaLeaseMs: 2000,
      ...options.hostOptions,
    },
    drainTimeoutMs: 5000,
    ...(options.environment ? { environment: options.environment } : {}),
  });
  await runtime.start();
  const callAs = (identity: Identity): Call =>
    caller(transport, 'test', () => ({ correlationId: `test-${Date.now()}`, identity }));
  return {
    runtime,
    transport,
    databases,
    call: callAs({ customerId: 'test', role: 'system' }),
    callAs,
    deliver: deliverer(transport, (type) => commandTypes(definitions).has(type)),
    outbox(service) {
      const database = databases.get(service);
      if (!database) throw new Error(`No service ${service} in this test system`);
      return outboxReader(service, database.db);
    },
    async stop(o = {}) {
      await runtime.stop();
      forgetTestCaller();
      if (o.drop) for (const d of databases.values()) await d.drop();
    },
  };
}
