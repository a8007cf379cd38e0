/**
 * A service's RPC endpoint: parses and checks each request (envelope, deadline, schema, idempotency
 * key), sheds load past its concurrency, runs the handler (idempotent methods under their key's
 * record), checks the answer against the contract, and records the server span and metrics.
 */
import { metricName, attributeName, namespace } from '../config/naming.ts';
import type { RpcDef } from '../contract/contract.ts';
import { assertValid, isValid, validationErrors } from '../contract/validation.ts';
import type { Database } from '../db/database.ts';
import { AppError, DeadlineExceededError, NotFoundError, ValidationError, toAppError } from '../errors.ts';
import { Envelope, type Causation } from '../messaging/envelope.ts';
import { IdempotentCall, requestHash } from '../messaging/idempotency.ts';
import type { Call, RpcReply } from '../messaging/rpc.ts';
import { inTransaction } from '../messaging/tx.ts';
import { withContext, type WorkContext } from '../observability/context.ts';
import type { Logger } from '../observability/logger.ts';
import { outcomeOf, type Metrics } from '../observability/metrics.ts';
import { SpanKind, startSpan, type ActiveSpan } from '../observability/tracing.ts';
import { LoadShedder, sheddingOptions } from '../resilience/shedding.ts';
import { defineSettings, env } from '../config/env.ts';
import type { BaseContext, RpcContext, ServiceDefinition } from './service.ts';
import { systemMethods } from './system.ts';

/**
 * With SIMPLEBANK_STRICT_CONTRACTS=1 (the test runner sets it), a method that refuses with a 4xx code
 * its contract's `errors` do not list answers `contract_violation` (500) instead: the tests catch a
 * refusal its callers were never told of. Off in production, where the refusal goes through as it is.
 * One of the process's settings (runtime.ts), checked at start with every other.
 */
export const contractSettings = defineSettings({
  SIMPLEBANK_STRICT_CONTRACTS: env.boolean({ default: false }),
});
/** Refusals any method may answer without declaring them (the chassis's own, and authentication's). */
const GENERIC_REFUSALS = new Set([
  'validation_failed',
  'idempotency_key_reused',
  'unknown_method',
  'unauthorized',
  'forbidden',
]);

export interface RpcEndpointDeps {
  name: string;
  definition: ServiceDefinition<any>;
  db: Database;
  log: Logger;
  metrics: Metrics;
  /** The host's context of work caused by `cause`. */
  context: (cause: Causation) => BaseContext;
  /** The causation and log fields of work done under `span` for `envelope`. */
  traced: (envelope: Envelope, span: ActiveSpan) => { cause: Causation; fields: WorkContext };
  /** The methods every service answers beside its contract (system.ts), answered by the host. */
  systemMethod: (method: string, req: Record<string, unknown>) => Promise<unknown>;
}

export class RpcEndpoint {
  /** Load shedding: RPC_MAX_IN_FLIGHT (or the definition's rpcConcurrency) in progress, a short bounded queue, then `overloaded`. */
  private readonly shedder: LoadShedder;

  constructor(private readonly deps: RpcEndpointDeps) {
    const c = deps.definition.rpcConcurrency;
    this.shedder = new LoadShedder(sheddingOptions(c ? { maxInFlight: c } : {}), deps.name);
  }

  /** RPC requests being answered now (the shedder's slots in use). */
  get inFlight(): number {
    return this.shedder.inFlight;
  }

  /** The concurrency to ask of the transport (more than the shedder serves, so the excess is refused fast). */
  get transportConcurrency(): number {
    return this.shedder.transportConcurrency;
  }

  /** Answers one request (a serialized envelope) with a serialized reply; never throws. */
  async serve(body: string): Promise<string> {
    const started = process.hrtime.bigint();
    let method = 'unknown';
    let def: RpcDef | undefined;
    let reply: RpcReply;
    let span: ActiveSpan | undefined;
    let release: (() => void) | undefined;
    try {
      let envelope: Envelope;
      try {
        envelope = JSON.parse(body) as Envelope;
      } catch {
        throw new ValidationError('Unparseable RPC request');
      }
      if (!isValid(Envelope, envelope))
        throw new ValidationError('Invalid RPC envelope', validationErrors(Envelope, envelope));
      const prefix = `${this.deps.name}.`;
      method = envelope.type.startsWith(prefix) ? envelope.type.slice(prefix.length) : envelope.type;
      // The server span, child of the caller's client span (the envelope's traceparent).
      span = startSpan(this.deps.name, `${this.deps.name}/${method}`, {
        kind: SpanKind.SERVER,
        parent: envelope.traceparent,
        attributes: {
          'rpc.system': namespace(),
          'rpc.service': this.deps.name,
          'rpc.method': method,
          [attributeName('correlation_id')]: envelope.correlationId,
        },
      });
      const found = (this.deps.definition.contract.rpc[method] ?? (systemMethods as Record<string, RpcDef>)[method]) as
        | RpcDef
        | undefined;
      if (!found) throw new NotFoundError(`${this.deps.name} has no RPC method ${method}`, 'unknown_method');
      def = found;
      try {
        release = await this.shedder.acquire();
      } catch (err) {
        this.deps.metrics
          .counter(metricName('rpc_shed_total'), 'RPC requests refused as overloaded (load shedding)', [
            'service',
            'method',
          ])
          .inc({ service: this.deps.name, method });
        throw err;
      }
      if (envelope.deadline !== undefined && envelope.deadline <= Date.now())
        throw new DeadlineExceededError(`Deadline passed before ${this.deps.name}.${method} started`);
      assertValid(found.request, envelope.data, `request to ${this.deps.name}.${method}`);
      if (found.idempotent && !envelope.idempotencyKey)
        throw new ValidationError(`${this.deps.name}.${method} requires an idempotency key`, [
          { path: '/idempotencyKey', message: 'required' },
        ]);
      const { cause, fields } = this.deps.traced(envelope, span);
      reply = await withContext(fields, () =>
        found.idempotent
          ? this.serveIdempotent(method, found, envelope, cause)
          : this.serveOnce(method, found, envelope, cause),
      );
    } catch (err) {
      reply = this.errorReply(err, method);
    } finally {
      release?.();
    }
    reply = this.undeclared(reply, method, def);
    if (span) {
      // A refusal (4xx-like) is the server doing its job; only server-side failures are errors.
      if (!reply.ok) {
        span.setAttributes({ 'rpc.response.status_code': reply.error.code, 'error.type': reply.error.code });
        if (reply.error.status >= 500)
          span.fail(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
      }
      span.end();
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.deps.metrics.rpcServerDuration.observe(
      { service: this.deps.name, method, outcome: reply.ok ? 'ok' : outcomeOf(reply.error) },
      seconds,
    );
    return JSON.stringify(reply);
  }

  /** A refusal the contract does not declare (strict contracts only): its callers cannot know to handle it. */
  private undeclared(reply: RpcReply, method: string, def: RpcDef | undefined): RpcReply {
    if (
      reply.ok ||
      !def ||
      reply.error.status < 400 ||
      reply.error.status >= 500 ||
      !contractSettings.value.SIMPLEBANK_STRICT_CONTRACTS
    )
      return reply;
    if (GENERIC_REFUSALS.has(reply.error.code) || def.errors.includes(reply.error.code)) return reply;
    const message = `${this.deps.name}.${method} refused with "${reply.error.code}", which its contract does not declare (errors: [${def.errors.join(', ')}])`;
    this.deps.log.error({ method, code: reply.error.code }, message);
    return { ok: false, error: new AppError('contract_violation', message, { status: 500 }).toWire() };
  }

  private errorReply(err: unknown, method: string): RpcReply {
    const e = toAppError(err);
    if (e.status >= 500 && !(e.status === 503 || e.status === 504))
      this.deps.log.error({ err, method }, 'RPC handler failed');
    return { ok: false, error: e.toWire() };
  }

  /** `transaction` defaults to a transaction of its own per call; idempotent methods pass theirs. */
  private rpcContext(envelope: Envelope, cause: Causation, transaction?: RpcContext['transaction']): RpcContext {
    const service = this.deps.name;
    return {
      ...this.deps.context(cause),
      envelope,
      identity: envelope.identity,
      idempotencyKey: envelope.idempotencyKey,
      transaction: transaction ?? ((fn) => inTransaction(this.deps.db, { service, cause }, fn)),
    };
  }

  private async invoke(method: string, envelope: Envelope, ctx: RpcContext): Promise<unknown> {
    const handler = (this.deps.definition.rpc as Record<string, (req: unknown, ctx: RpcContext) => Promise<unknown>>)[
      method
    ];
    if (handler) return handler(envelope.data, ctx);
    return this.deps.systemMethod(method, envelope.data as Record<string, unknown>);
  }

  private async serveOnce(method: string, def: RpcDef, envelope: Envelope, cause: Causation): Promise<RpcReply> {
    const data = await this.invoke(method, envelope, this.rpcContext(envelope, cause));
    this.checkResponse(def, method, data);
    return { ok: true, data };
  }

  /** State-changing methods: the idempotency record, the handler's writes and its outbox commit together. */
  private async serveIdempotent(method: string, def: RpcDef, envelope: Envelope, cause: Causation): Promise<RpcReply> {
    const hash = requestHash({ data: envelope.data, identity: envelope.identity?.customerId ?? null });
    const call = new IdempotentCall(
      this.deps.db,
      { method, key: envelope.idempotencyKey!, hash },
      { service: this.deps.name, cause },
    );
    return call.run(async () => {
      const ctx = this.rpcContext(envelope, cause, (fn) => call.transaction(fn));
      const callOut = ctx.call;
      ctx.call = (async (contract, m, request, options) => {
        if ((contract.rpc[m] as RpcDef | undefined)?.idempotent) await call.beforeEffect();
        return callOut(contract, m, request, options);
      }) as Call;
      const data = await this.invoke(method, envelope, ctx);
      this.checkResponse(def, method, data);
      return data;
    });
  }

  private checkResponse(def: RpcDef, method: string, data: unknown): void {
    if (isValid(def.response, data)) return;
    this.deps.log.error(
      { method, errors: validationErrors(def.response, data, 5) },
      'RPC handler answered outside its contract',
    );
    throw new AppError('contract_violation', `${this.deps.name}.${method} produced a response outside its contract`, {
      status: 500,
    });
  }
}
