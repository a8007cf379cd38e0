/**
 * RPC over any transport: the request is an envelope whose `type` is `<service>.<method>`, the reply
 * a `{ok, data}` or `{ok: false, error}` document. The caller validates the request before sending
 * and the response on arrival; the server validates the request again (both sides of every call).
 *
 * Every call goes through its target's call policy (resilience/targets.ts, the service's table of
 * dependencies): the caller's deadline; the target's bulkhead (full: refused at once) and circuit
 * breaker (open: refused at once, `dependency_unavailable`); a timeout per attempt; and retries —
 * only of methods declared `idempotent` (they carry an idempotency key, the same on every attempt,
 * so the provider does the work once), only on retryable failures (`AppError.retryable`: no route,
 * unavailable, one attempt's deadline; never business or validation errors, never `overloaded` (a
 * provider shedding load is not asked again at once) and never `dependency_unavailable` (the
 * provider is well; its dependency is not)), with exponential back-off and full jitter, and never
 * past the deadline. Only those retryable failures count against the breaker. A method its target has
 * been refusing for load is partly refused here, before anything is sent (resilience/throttle.ts).
 */
import { metricName, namespace } from '../config/naming.ts';
import { assertValid } from '../contract/validation.ts';
import type { Contract, RequestOf, ResponseOf, RpcDef } from '../contract/contract.ts';
import { AppError, DeadlineExceededError, UnavailableError, type WireError } from '../errors.ts';
import { outcomeOf, type Metrics } from '../observability/metrics.ts';
import { SpanKind, startSpan } from '../observability/tracing.ts';
import type { Classified } from '../resilience/call-policy.ts';
import { OverloadedError } from '../resilience/shedding.ts';
import { callPolicy, type TargetTable } from '../resilience/targets.ts';
import { throttles } from '../resilience/throttle.ts';
import type { Transport } from '../transport/transport.ts';
import { newEnvelope, type Causation } from './envelope.ts';

export type RpcReply = { ok: true; data: unknown } | { ok: false; error: WireError };

export interface CallOptions {
  /** Required by methods declared idempotent (state-changing). */
  idempotencyKey?: string;
  /** Upper bound for this call; the caller's remaining deadline bounds it further. */
  timeoutMs?: number;
}

export const DEFAULT_RPC_TIMEOUT_MS = 5000;

export type Call = <C extends Contract, M extends keyof C['rpc'] & string>(
  contract: C,
  method: M,
  request: RequestOf<C['rpc'][M]>,
  options?: CallOptions,
) => Promise<ResponseOf<C['rpc'][M]>>;

export interface CallerOptions {
  /** The calling service's table of dependencies: timeouts, retries, breakers and bulkheads per target. */
  targets?: TargetTable;
  /** Records every call's duration and outcome (`simplebank_rpc_client_duration_seconds`). */
  metrics?: Metrics;
}

/** A `call` function bound to a transport, the calling service and the causation of the work at hand. */
export function caller(
  transport: Transport,
  source: string,
  cause: () => Causation | undefined,
  callerOptions: CallerOptions = {},
): Call {
  const { targets = {}, metrics } = callerOptions;
  return async (contract, method, request, options = {}) => {
    if (!metrics) return call(contract, method, request, options);
    const started = process.hrtime.bigint();
    const observe = (err?: unknown) =>
      metrics.rpcClientDuration.observe(
        { service: source, target: contract.service, method, outcome: outcomeOf(err) },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    try {
      const data = await call(contract, method, request, options);
      observe();
      return data;
    } catch (err) {
      observe(err);
      throw err;
    }
  };

  async function call<C extends Contract, M extends keyof C['rpc'] & string>(
    contract: C,
    method: M,
    request: RequestOf<C['rpc'][M]>,
    options: CallOptions,
  ): Promise<ResponseOf<C['rpc'][M]>> {
    const def = contract.rpc[method] as RpcDef | undefined;
    if (!def) throw new Error(`${contract.service} has no RPC method ${method}`);
    try {
      assertValid(def.request, request, `request to ${contract.service}.${method}`);
    } catch (err) {
      // The caller built a request outside the provider's contract: the caller's bug, never the
      // fault of whoever called the caller. (The gateway validates client input before this.)
      throw new AppError('contract_violation', (err as Error).message, {
        status: 500,
        errors: (err as AppError).errors ?? [],
      });
    }
    if (def.idempotent && !options.idempotencyKey)
      throw new Error(`${contract.service}.${method} changes state: pass an idempotencyKey`);
    const causation = cause();
    const now = Date.now();
    let deadline = now + (options.timeoutMs ?? DEFAULT_RPC_TIMEOUT_MS);
    if (causation?.deadline !== undefined) {
      if (causation.deadline <= now)
        throw new DeadlineExceededError(`Deadline passed before calling ${contract.service}.${method}`);
      deadline = Math.min(deadline, causation.deadline);
    }
    const throttle = throttles.get(source, contract.service, method);
    if (!throttle.admit()) {
      metrics
        ?.counter(
          metricName('rpc_client_throttled_total'),
          'Calls refused by the caller: their target was refusing them for load',
          ['service', 'target', 'method'],
        )
        .inc({ service: source, target: contract.service, method });
      throw new OverloadedError(`${contract.service} is refusing ${method} for load: refused here, not sent`);
    }
    // The client span: the envelope carries it as traceparent, so the server's span is its child.
    const span = startSpan(source, `${contract.service}/${method}`, {
      kind: SpanKind.CLIENT,
      parent: causation?.traceparent,
      attributes: { 'rpc.system': namespace(), 'rpc.service': contract.service, 'rpc.method': method },
    });
    try {
      const policy = callPolicy(source, contract.service, targets, metrics);
      const attempt = async (): Promise<Answer> => {
        const envelope = newEnvelope({
          type: `${contract.service}.${method}`,
          version: 1,
          source,
          data: request,
          cause: { ...(causation ?? { correlationId: '' }), deadline, traceparent: span.traceparent },
          ...(options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {}),
        });
        if (!envelope.correlationId) envelope.correlationId = envelope.id;
        const ms = Math.max(1, Math.min(policy.options.timeoutMs, deadline - Date.now()));
        try {
          return {
            ok: true,
            data: readReply(
              await transport.request(contract.service, JSON.stringify(envelope), { timeoutMs: ms }),
              def,
              contract.service,
              method,
            ),
          };
        } catch (err) {
          return { ok: false, err };
        }
      };
      const result = await policy.run(attempt, classify, { idempotent: def.idempotent, deadline });
      if (result.kind === 'answered') throttle.answered(isOverloaded(result.value));
      if (result.attempts > 1) span.setAttributes({ 'rpc.attempts': result.attempts });
      if (result.kind === 'breaker_open') {
        throw new UnavailableError(
          `${contract.service} breaker ${result.forced ? 'forced open' : 'open'}: ${contract.service}.${method} not called`,
          'dependency_unavailable',
        );
      }
      if (result.kind === 'deadline')
        throw new DeadlineExceededError(`Deadline passed before calling ${contract.service}.${method}`);
      if (!result.value.ok) throw result.value.err;
      span.end();
      return result.value.data as ResponseOf<C['rpc'][M]>;
    } catch (err) {
      span.end(err);
      throw err;
    }
  }
}

/** The data of a reply, or the error it carries; checked against the method's response schema. */
/** One attempt's answer, as the call policy sorts it (a thrown error would count as the target's failure). */
type Answer = { ok: true; data: unknown } | { ok: false; err: unknown };

/**
 * Answers that are not the target's failure: it sheds load (`overloaded`: asking again adds to it),
 * or its own dependency is away (`dependency_unavailable`: the target is well, and counting it would
 * open breakers up the chain, failing calls that never needed the missing service). Final here: the
 * work's own retry (a saga step's, a consumer's redelivery, the client's Retry-After) tries later.
 */
const NOT_THE_TARGETS_FAULT = new Set(['overloaded', 'dependency_unavailable']);

function isOverloaded(a: Answer): boolean {
  return !a.ok && a.err instanceof AppError && a.err.code === 'overloaded';
}

/** A retryable failure of the target is worth another attempt and counts against its breaker; any other answer is final. */
function classify(a: Answer): Classified {
  if (a.ok) return 'ok';
  return a.err instanceof AppError && a.err.retryable && !NOT_THE_TARGETS_FAULT.has(a.err.code) ? 'retryable' : 'final';
}

function readReply(raw: string, def: RpcDef, service: string, method: string): unknown {
  let reply: RpcReply;
  try {
    reply = JSON.parse(raw) as RpcReply;
  } catch {
    throw new UnavailableError(`Unparseable reply from ${service}.${method}`, 'bad_reply');
  }
  if (!reply.ok) throw AppError.fromWire(reply.error);
  try {
    assertValid(def.response, reply.data, `response of ${service}.${method}`);
  } catch (err) {
    // The provider broke its contract: our fault, not the caller's.
    throw new AppError('bad_reply', (err as Error).message, { status: 502, errors: (err as AppError).errors ?? [] });
  }
  return reply.data;
}
