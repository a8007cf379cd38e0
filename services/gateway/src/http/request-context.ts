/**
 * What the gateway knows about each request: its id (X-Request-Id), its deadline (X-Deadline-Ms),
 * its trace (traceparent) and, once authenticated, who makes it. Every call to a service made for
 * the request carries them (`callFor`), so the services see the customer's identity and the rest
 * of the time budget, and logs of the whole request share one correlation id.
 */
import { randomUUID } from 'node:crypto';
import {
  childOf,
  formatTraceparent,
  httpServerSpan,
  type BaseContext,
  type Call,
  type Causation,
  type Identity,
  type ResponseOf,
} from '@simplebank/chassis';
import type { accountsContract } from '@simplebank/accounts/contract';
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface RequestState {
  requestId: string;
  /** Absolute deadline, epoch ms. */
  deadline: number;
  traceparent: string;
  identity?: Identity;
  /** The access token's session and expiry (epoch ms), once authenticated: a stream ends with them. */
  sessionId?: string;
  expiresAt?: number;
  /** The account of an /accounts/:accountId/… route, once the `ownAccount` guard found it the caller's. */
  account?: OwnAccount;
}

/** An account as the accounts service answers it. */
export type OwnAccount = ResponseOf<(typeof accountsContract)['rpc']['getAccount']>;

const states = new WeakMap<FastifyRequest, RequestState>();
const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;
const DEADLINE = /^[1-9]\d{0,4}$/;
export const MAX_DEADLINE_MS = 60_000;

/** The gateway's own identity, for calls made before anyone is authenticated (sign-up, login, refresh). */
export const GATEWAY_IDENTITY: Identity = { customerId: 'service:gateway', role: 'system' };

function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function requestIdOf(request: FastifyRequest): string | undefined {
  return states.get(request)?.requestId;
}

export function stateOf(request: FastifyRequest): RequestState {
  let state = states.get(request);
  if (!state) {
    // A request that failed before onRequest (e.g. a malformed URL): give it an id anyway.
    state = {
      requestId: randomUUID(),
      deadline: Date.now() + 10_000,
      traceparent: formatTraceparent(childOf(undefined)),
    };
    states.set(request, state);
  }
  return state;
}

/**
 * The onRequest hook: the request id (echoed when valid), the deadline, the trace. An invalid
 * X-Deadline-Ms is refused (400) by `deadlineProblem`, checked after the id is set so the
 * problem carries it.
 */
export function startRequest(defaultDeadlineMs: number) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const incoming = header(request, 'x-request-id');
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : request.id || randomUUID();
    // The request's server span: continues an incoming traceparent, else a new trace.
    const span = httpServerSpan('gateway', request, reply);
    const rawDeadline = header(request, 'x-deadline-ms');
    let budget = defaultDeadlineMs;
    if (rawDeadline !== undefined && DEADLINE.test(rawDeadline.trim()) && Number(rawDeadline) <= MAX_DEADLINE_MS)
      budget = Number(rawDeadline);
    states.set(request, { requestId, deadline: Date.now() + budget, traceparent: span.traceparent });
    span.setAttributes({ 'simplebank.request_id': requestId });
    reply.header('X-Request-Id', requestId);
  };
}

/** A message when X-Deadline-Ms is present but not a positive integer ≤ 60000. */
export function deadlineProblem(request: FastifyRequest): string | undefined {
  const raw = header(request, 'x-deadline-ms');
  if (raw === undefined) return undefined;
  if (DEADLINE.test(raw.trim()) && Number(raw) <= MAX_DEADLINE_MS) return undefined;
  return `X-Deadline-Ms must be a positive integer of milliseconds, at most ${MAX_DEADLINE_MS}`;
}

/** A typed `call` carrying this request's id, identity, deadline and trace. */
export function callFor(ctx: BaseContext, request: FastifyRequest, identity?: Identity): Call {
  const state = stateOf(request);
  const who = identity ?? state.identity;
  const cause: Causation = { correlationId: state.requestId, traceparent: state.traceparent, deadline: state.deadline };
  if (who) cause.identity = who;
  return ctx.callWith(cause);
}
