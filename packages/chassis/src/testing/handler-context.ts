/**
 * Unit-testing one handler with no PostgreSQL and no transport (Nameko's `worker_factory`): an RPC
 * method, an event or command handler, or a saga step's action or compensation, run with a context
 * whose I/O is recorded or answered by the test —
 *
 * - what it publishes (events) and sends (commands), through the chassis's own transaction code
 *   (`tx.publish`/`tx.send` validate and build envelopes as in production); recorded when its
 *   transaction commits, dropped when it rolls back;
 * - what it calls (RPC), answered by stubs (`stub(contract, handlers)`) that validate the request
 *   and the response as a provider and a caller would; errors cross as on the wire (`AppError`);
 * - its SQL, answered by the test's `query` function (none given: a query fails, naming its SQL);
 * - sagas begun, signalled or interrupted, recorded on commit.
 *
 * ```ts
 * const h = handlerContext({ service: feesService, stubs: [stub(transactionsContract, { chargeFee: () => ({ postingId: 'p1' }) })], query });
 * await h.callRpc('chargeFee', { orderId, accountId, amount: '1.00' });
 * assert.deepEqual(h.publishedOf(feesContract.events.FeeCharged).map((d) => d.amount), ['1.00']);
 * ```
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type {
  CommandDef,
  Contract,
  DataOf,
  EventDef,
  MessageDef,
  RequestOf,
  ResponseOf,
  RpcDef,
} from '../contract/contract.ts';
import { assertValid, isValid, validationErrors } from '../contract/validation.ts';
import { FeatureFlags } from '../config/flags.ts';
import type { Database, Row } from '../db/database.ts';
import { AppError, UnavailableError, ValidationError, toAppError } from '../errors.ts';
import { causedBy, newEnvelope, type Causation, type Envelope, type Identity } from '../messaging/envelope.ts';
import type { Call, CallOptions } from '../messaging/rpc.ts';
import { outboxTx, runAfterCommit, type Tx } from '../messaging/tx.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { Metrics } from '../observability/metrics.ts';
import type {
  BaseContext,
  MessageContext,
  MessageHandlerDef,
  RpcContext,
  ServiceDefinition,
} from '../runtime/service.ts';
import {
  checkSignal,
  type SagaDefinition,
  type SagaRunner,
  type SagaStepContext,
  type SignalDefs,
  type StepOutcome,
  type WakeUp,
} from '../saga/index.ts';
import type { StubHandlers } from './harness.ts';

/** A collaborator answered at its contract (see `stub`). */
export interface CallStub {
  readonly service: string;
  answer(method: string, request: unknown, envelope: Envelope): Promise<unknown>;
}

/**
 * Answers `contract`'s methods with `handlers` (the same shape as `stubService`'s): the request and
 * the response are checked against the contract; a method without a handler answers
 * `not_implemented_in_stub` (501).
 */
export function stub<C extends Contract>(contract: C, handlers: StubHandlers<C>): CallStub {
  return {
    service: contract.service,
    async answer(method, request, envelope) {
      const def = contract.rpc[method] as RpcDef | undefined;
      const handler = (handlers as Record<string, ((req: unknown, env: Envelope) => unknown) | undefined>)[method];
      if (!def || !handler)
        throw new AppError('not_implemented_in_stub', `Stub of ${contract.service} has no ${method}`, { status: 501 });
      assertValid(def.request, request, `request to ${contract.service}.${method}`);
      const data = await handler(request, envelope);
      try {
        assertValid(def.response, data, `stub response of ${contract.service}.${method}`);
      } catch (err) {
        throw new AppError('contract_violation', (err as Error).message, {
          status: 502,
          errors: (err as AppError).errors ?? [],
        });
      }
      return data;
    },
  };
}

/** Answers a query of the handler's: rows (or a whole result); `undefined` is no rows. */
export type QueryAnswer = (
  sql: string,
  params: readonly unknown[],
) =>
  | Row[]
  | Partial<pg.QueryResult<Row>>
  | undefined
  | void
  | Promise<Row[] | Partial<pg.QueryResult<Row>> | undefined | void>;

export interface RecordedMessage<D = unknown> {
  kind: 'event' | 'command';
  /** The wire type (`service.Name.vN`). */
  type: string;
  data: D;
  key: string | undefined;
  envelope: Envelope<D>;
}

export interface RecordedCall {
  service: string;
  method: string;
  request: unknown;
  idempotencyKey: string | undefined;
  /** What the stub answered: its data, or the error the caller got. */
  outcome: { ok: true; data: unknown } | { ok: false; error: AppError };
}

export interface RecordedQuery {
  sql: string;
  params: readonly unknown[];
}

export type RecordedSagaOperation =
  | { op: 'begin'; saga: string; id: string; data: unknown }
  | { op: 'signal'; saga: string; sagaId: string; name: string; payload: unknown }
  | { op: 'interrupt'; sagaId: string; reason: { code: string; message: string } };

export interface HandlerContextOptions<C extends Contract> {
  /**
   * The service whose handlers are tested: its definition (then `handle` finds handlers by message
   * and `callRpc` runs its methods), or its name when only loose handlers or saga steps are run.
   */
  service: ServiceDefinition<C> | string;
  /** The collaborators it calls. A call to a service with no stub fails as with no live instance (`no_route`). */
  stubs?: readonly CallStub[];
  /** Answers its SQL (outbox writes excepted: those are recorded as published or sent). */
  query?: QueryAnswer;
  /** Who the work is for (the envelope's identity); default a system caller. */
  identity?: Identity;
  flags?: FeatureFlags;
  log?: Logger;
}

export interface StepRun<D, S extends SignalDefs = SignalDefs> {
  data: D;
  /** Why the action runs (default `start`). */
  wakeUp?: WakeUp<S>;
  attempt?: number;
  sagaId?: string;
  /** In a compensation: why the saga compensates. */
  failure?: { code: string; message: string };
}

export interface HandlerContext<C extends Contract> {
  readonly service: string;
  /** Events published by committed work, in order. */
  readonly published: RecordedMessage[];
  /** Commands sent by committed work, in order. */
  readonly sent: RecordedMessage[];
  /** Every RPC the handler made, answered or not. */
  readonly calls: RecordedCall[];
  readonly queries: RecordedQuery[];
  /** Sagas begun, signalled or interrupted by committed work. */
  readonly sagas: RecordedSagaOperation[];
  /** Transactions rolled back (the handler threw, or its `transaction` callback did). */
  readonly rolledBack: number;
  publishedOf<E extends EventDef>(event: E): Array<DataOf<E>>;
  sentOf<D extends CommandDef>(command: D): Array<DataOf<D>>;
  /** The requests of the calls to `contract`'s `method`, in order. */
  callsTo<K extends Contract, M extends keyof K['rpc'] & string>(contract: K, method: M): Array<RequestOf<K['rpc'][M]>>;
  /** Forgets everything recorded so far. */
  reset(): void;

  /**
   * Handles one message as the consumer would: the data checked against the message's schema (a
   * mismatch would be dead-lettered: it throws), `when` applied, then the handler in one transaction.
   * `handler` is the message (its handler found in the service's definition) or an `on(...)` handler.
   */
  handle<D extends MessageDef>(
    handler: D | MessageHandlerDef<any>,
    data: DataOf<D>,
    options?: MessageOptions,
  ): Promise<'handled' | 'skipped'>;
  /** Runs one of the service's RPC methods as its endpoint would (request and response checked). */
  callRpc<M extends keyof C['rpc'] & string>(
    method: M,
    request: RequestOf<C['rpc'][M]>,
    options?: { identity?: Identity; idempotencyKey?: string },
  ): Promise<ResponseOf<C['rpc'][M]>>;
  /** Runs a saga step's action in one transaction (committed when it returns, rolled back when it throws). */
  runStep<D, S extends SignalDefs>(
    saga: SagaDefinition<D, S>,
    step: string,
    run: StepRun<D, S>,
  ): Promise<StepOutcome<D, S> | void>;
  /** Runs a saga step's compensation in one transaction. */
  compensateStep<D, S extends SignalDefs>(saga: SagaDefinition<D, S>, step: string, run: StepRun<D, S>): Promise<void>;

  /** Contexts for code that is not reachable through a definition; work done in them commits at once. */
  messageContext<D extends MessageDef>(message: D, data: DataOf<D>, options?: MessageOptions): MessageContext;
  rpcContext(options?: { identity?: Identity; idempotencyKey?: string; method?: string }): RpcContext;
}

export interface MessageOptions {
  id?: string;
  key?: string;
  source?: string;
  identity?: Identity;
}

type Pending = { published: RecordedMessage[]; sent: RecordedMessage[] };

const clone = <T>(value: T): T => (value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T));

export function handlerContext<C extends Contract = Contract>(options: HandlerContextOptions<C>): HandlerContext<C> {
  const definition = typeof options.service === 'string' ? undefined : options.service;
  const service = typeof options.service === 'string' ? options.service : options.service.contract.service;
  const log = options.log ?? createLogger({ service, level: process.env.LOG_LEVEL ?? 'silent' });
  const metrics = new Metrics();
  const flags = options.flags ?? FeatureFlags.of();
  const defaultIdentity: Identity = options.identity ?? { customerId: 'test', role: 'system' };
  const stubs = new Map<string, CallStub>();
  for (const s of options.stubs ?? []) stubs.set(s.service, s);

  const published: RecordedMessage[] = [];
  const sent: RecordedMessage[] = [];
  const calls: RecordedCall[] = [];
  const queries: RecordedQuery[] = [];
  const sagaOps: RecordedSagaOperation[] = [];
  let rolledBack = 0;
  let outboxIds = 0;

  async function answerQuery(
    sql: string,
    params: readonly unknown[] = [],
    pending?: Pending,
  ): Promise<pg.QueryResult<Row>> {
    if (pending && /^\s*INSERT INTO chassis_outbox\b/i.test(sql)) {
      // The chassis's own outbox write (messaging/outbox.ts): (message_id, kind, destination, aggregate_key, body).
      const envelope = JSON.parse(String(params[4])) as Envelope;
      const kind = params[1] === 'command' ? 'command' : 'event';
      const record: RecordedMessage = {
        kind,
        type: String(params[2]),
        data: envelope.data,
        key: envelope.key,
        envelope,
      };
      (kind === 'event' ? pending.published : pending.sent).push(record);
      return result([{ id: String(++outboxIds), created_at: new Date() }]);
    }
    queries.push({ sql, params });
    if (!options.query)
      throw new Error(
        `handlerContext: ${service} queried its database, and the test gave no \`query\` to answer it: ${sql.trim().replace(/\s+/g, ' ').slice(0, 200)}`,
      );
    const answer = await options.query(sql, params);
    if (answer === undefined) return result([]);
    if (Array.isArray(answer)) return result(answer);
    return { ...result(answer.rows ?? []), ...answer } as pg.QueryResult<Row>;
  }

  function result(rows: Row[]): pg.QueryResult<Row> {
    return { rows, rowCount: rows.length, command: '', oid: 0, fields: [] };
  }

  /** Runs `fn` with a client of a transaction of its own; what it wrote to the outbox is recorded only if it commits. */
  async function transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const pending: Pending = { published: [], sent: [] };
    const client = {
      query: (sql: string, params?: readonly unknown[]) => answerQuery(sql, params, pending),
      release() {},
    } as unknown as pg.PoolClient;
    let value: T;
    try {
      value = await fn(client);
    } catch (err) {
      rolledBack++;
      throw err;
    }
    published.push(...pending.published);
    sent.push(...pending.sent);
    return value;
  }

  /** `fn` with a Tx (the chassis's outbox transaction over a recording client); after-commit hooks run on commit. */
  async function inTx<T>(cause: Causation, fn: (tx: Tx) => Promise<T>): Promise<T> {
    let tx: (Tx & { committed: Array<() => void> }) | undefined;
    const value = await transaction(async (client) => {
      tx = outboxTx(client, { service, cause });
      return fn(tx);
    });
    if (tx) runAfterCommit(tx);
    return value;
  }

  const db = {
    name: service,
    query: (sql: string, params?: readonly unknown[]) => answerQuery(sql, params),
    transaction,
    connect: () => Promise.reject(new Error('handlerContext: no database connections (use ctx.tx or ctx.transaction)')),
    ping: async () => true,
    listen: () => Promise.reject(new Error('handlerContext: no LISTEN without a database')),
    close: async () => {},
  } as unknown as Database;

  const afterCommitOf = (q: unknown, record: () => void) => {
    const hook = (q as Partial<Tx>).afterCommit;
    if (typeof hook === 'function') hook.call(q, record);
    else record();
  };
  const sagas = {
    async begin(tx: Tx, saga: SagaDefinition<unknown>, input: { id?: string; data: unknown }) {
      const id = input.id ?? randomUUID();
      const data = clone(input.data);
      afterCommitOf(tx, () => sagaOps.push({ op: 'begin', saga: saga.name, id, data }));
      return id;
    },
    async signal(tx: unknown, saga: SagaDefinition<unknown, any>, sagaId: string, name: string, payload: unknown) {
      checkSignal(saga, name, payload);
      afterCommitOf(tx, () => sagaOps.push({ op: 'signal', saga: saga.name, sagaId, name, payload: clone(payload) }));
      return true;
    },
    async interrupt(tx: unknown, sagaId: string, reason: { code: string; message: string }) {
      afterCommitOf(tx, () => sagaOps.push({ op: 'interrupt', sagaId, reason }));
      return true;
    },
    inspect: async () => undefined,
    health: () => ({ ready: true }),
  } as unknown as SagaRunner;

  function callerFor(cause: Causation): Call {
    return (async (contract: Contract, method: string, request: unknown, callOptions: CallOptions = {}) => {
      const def = contract.rpc[method] as RpcDef | undefined;
      if (!def) throw new Error(`${contract.service} has no RPC method ${method}`);
      if (!isValid(def.request, request)) {
        throw new AppError(
          'contract_violation',
          `request to ${contract.service}.${method} does not match its contract: ${JSON.stringify(validationErrors(def.request, request, 5))}`,
          { status: 500 },
        );
      }
      if (def.idempotent && !callOptions.idempotencyKey)
        throw new Error(`${contract.service}.${method} changes state: pass an idempotencyKey`);
      const sentRequest = clone(request);
      const record: RecordedCall = {
        service: contract.service,
        method,
        request: sentRequest,
        idempotencyKey: callOptions.idempotencyKey,
        outcome: { ok: true, data: undefined },
      };
      calls.push(record);
      const envelope = newEnvelope({
        type: `${contract.service}.${method}`,
        version: 1,
        source: service,
        data: sentRequest,
        cause,
        ...(callOptions.idempotencyKey ? { idempotencyKey: callOptions.idempotencyKey } : {}),
      });
      try {
        const s = stubs.get(contract.service);
        if (!s)
          throw new UnavailableError(
            `No live instance of ${contract.service} to call (handlerContext: no stub of ${contract.service}; pass stub(${contract.service}Contract, {...}))`,
            'no_route',
          );
        let data: unknown;
        try {
          data = clone(await s.answer(method, clone(sentRequest), envelope));
        } catch (err) {
          // As on the wire: the caller gets the error's wire form back as an AppError.
          throw AppError.fromWire(toAppError(err).toWire());
        }
        if (!isValid(def.response, data))
          throw new AppError('bad_reply', `response of ${contract.service}.${method} does not match its contract`, {
            status: 502,
          });
        record.outcome = { ok: true, data };
        return data;
      } catch (err) {
        record.outcome = { ok: false, error: toAppError(err) };
        throw err;
      }
    }) as Call;
  }

  function baseContext(cause: Causation): BaseContext {
    return {
      service,
      log,
      db,
      call: callerFor(cause),
      callWith: (other) => callerFor(other),
      sagas,
      metrics,
      cause,
      httpAddress: () => '',
      flags,
      watch: () =>
        Promise.reject(new Error('handlerContext: ctx.watch needs a transport; test it with startTestService')),
    };
  }

  function messageEnvelope(message: MessageDef, data: unknown, o: MessageOptions = {}): Envelope {
    return newEnvelope({
      type: message.type,
      version: message.version,
      source: o.source ?? (message.kind === 'event' ? message.service : 'test'),
      data: clone(data),
      cause: { correlationId: `test-${randomUUID()}`, identity: o.identity ?? defaultIdentity },
      ...(o.id ? { id: o.id } : {}),
      ...(o.key !== undefined ? { key: o.key } : {}),
    });
  }

  function rpcCause(o: { identity?: Identity; idempotencyKey?: string; method?: string }): {
    envelope: Envelope;
    cause: Causation;
  } {
    const envelope = newEnvelope({
      type: `${service}.${o.method ?? 'test'}`,
      version: 1,
      source: 'test',
      data: {},
      cause: { correlationId: `test-${randomUUID()}`, identity: o.identity ?? defaultIdentity },
      ...(o.idempotencyKey ? { idempotencyKey: o.idempotencyKey } : {}),
    });
    return { envelope, cause: causedBy(envelope) };
  }

  function rpcContextOf(o: { identity?: Identity; idempotencyKey?: string; method?: string }): RpcContext {
    const { envelope, cause } = rpcCause(o);
    return {
      ...baseContext(cause),
      envelope,
      identity: envelope.identity,
      idempotencyKey: o.idempotencyKey,
      transaction: (fn) => inTx(cause, fn),
    };
  }

  function stepRun<D, S extends SignalDefs>(
    saga: SagaDefinition<D, S>,
    stepName: string,
    run: StepRun<D, S>,
    phase: 'action' | 'compensation',
  ): Promise<unknown> {
    const step = saga.steps.find((s) => s.name === stepName);
    if (!step) throw new Error(`Saga ${saga.name} has no step ${stepName}`);
    const sagaId = run.sagaId ?? randomUUID();
    const cause: Causation = { correlationId: `saga-${sagaId}`, identity: defaultIdentity };
    return inTx(cause, async (tx) => {
      const ctx: SagaStepContext<D, S> = {
        sagaId,
        sagaType: saga.name,
        step: stepName,
        data: clone(run.data),
        stepKey: phase === 'action' ? `${sagaId}:${stepName}` : `${sagaId}:${stepName}:compensate`,
        attempt: run.attempt ?? 1,
        wakeUp: run.wakeUp ?? { kind: 'start' },
        tx,
        call: callerFor(cause),
        log: log.child({ sagaId, sagaType: saga.name, step: stepName }),
        metrics,
        ...(run.failure ? { failure: run.failure } : {}),
      };
      if (phase === 'action') return step.action(ctx);
      if (!step.compensate) throw new Error(`Saga ${saga.name}: step ${stepName} has no compensation`);
      return step.compensate(ctx);
    });
  }

  return {
    service,
    published,
    sent,
    calls,
    queries,
    sagas: sagaOps,
    get rolledBack() {
      return rolledBack;
    },
    publishedOf: <E extends EventDef>(event: E) =>
      published.filter((m) => m.type === event.type).map((m) => m.data as DataOf<E>),
    sentOf: <D extends CommandDef>(command: D) =>
      sent.filter((m) => m.type === command.type).map((m) => m.data as DataOf<D>),
    callsTo: <K extends Contract, M extends keyof K['rpc'] & string>(contract: K, method: M) =>
      calls
        .filter((c) => c.service === contract.service && c.method === method)
        .map((c) => c.request as RequestOf<K['rpc'][M]>),
    reset() {
      for (const list of [published, sent, calls, queries, sagaOps] as unknown[][]) list.length = 0;
      rolledBack = 0;
    },

    async handle(handler, data, o = {}) {
      let def: MessageHandlerDef<any> | undefined;
      if ('handler' in handler && 'message' in handler) def = handler;
      else {
        const message = handler as MessageDef;
        if (!definition)
          throw new Error(
            `handlerContext: pass the service's definition (not its name) to handle ${message.type} by its message, or pass the on(...) handler`,
          );
        const found = (definition.handlers ?? []).filter((h) => h.message.type === message.type);
        if (found.length !== 1)
          throw new Error(
            `${service} has ${found.length} handlers of ${message.type}; pass the on(...) handler itself`,
          );
        def = found[0]!;
      }
      const message = def.message;
      if (!isValid(message.data, data)) {
        throw new ValidationError(
          `${message.type} data does not match its schema (the consumer would dead-letter it)`,
          validationErrors(message.data, data, 5),
        );
      }
      const envelope = messageEnvelope(message, data, o);
      if (def.when && !def.when(envelope.data as never)) return 'skipped';
      const cause = causedBy(envelope);
      await inTx(cause, (tx) =>
        def.handler(envelope.data, { ...baseContext(cause), envelope, identity: envelope.identity, tx }),
      );
      return 'handled';
    },

    async callRpc(method, request, o = {}) {
      if (!definition)
        throw new Error('handlerContext: pass the service definition (not its name) to call its RPC methods');
      const def = definition.contract.rpc[method] as RpcDef | undefined;
      const handler = (
        definition.rpc as Record<string, ((req: unknown, ctx: RpcContext) => Promise<unknown>) | undefined>
      )[method];
      if (!def || !handler) throw new Error(`${service} has no RPC method ${method}`);
      if (!isValid(def.request, request)) {
        throw new ValidationError(
          `request to ${service}.${method} does not match its contract`,
          validationErrors(def.request, request, 5),
        );
      }
      const idempotencyKey = o.idempotencyKey ?? (def.idempotent ? `test-${randomUUID()}` : undefined);
      const ctx = rpcContextOf({ ...o, method, ...(idempotencyKey ? { idempotencyKey } : {}) });
      const response = await handler(clone(request), ctx);
      try {
        assertValid(def.response, response, `response of ${service}.${method}`);
      } catch (err) {
        throw new AppError('contract_violation', (err as Error).message, {
          status: 500,
          errors: (err as AppError).errors ?? [],
        });
      }
      return clone(response) as never;
    },

    runStep: (saga, step, run) => stepRun(saga, step, run, 'action') as Promise<never>,
    compensateStep: async (saga, step, run) => {
      await stepRun(saga, step, run, 'compensation');
    },

    messageContext(message, data, o = {}) {
      const envelope = messageEnvelope(message, data, o);
      const cause = causedBy(envelope);
      const pending: Pending = { published, sent }; // writes straight through: no transaction to wait for
      const client = {
        query: (sql: string, params?: readonly unknown[]) => answerQuery(sql, params, pending),
        release() {},
      } as unknown as pg.PoolClient;
      const tx = outboxTx(client, { service, cause });
      // Hooks registered on this context run at once: there is no commit to wait for.
      tx.afterCommit = (fn: () => void) => fn();
      return { ...baseContext(cause), envelope, identity: envelope.identity, tx };
    },
    rpcContext: (o = {}) => rpcContextOf(o),
  };
}
