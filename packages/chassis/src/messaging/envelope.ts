/**
 * The envelope every RPC request, event and command travels in (CloudEvents-style). The transport
 * only ever sees it serialized: nothing is shared by reference between services, even in one process.
 */
import { randomUUID } from 'node:crypto';
import { Type as T, type Static } from '@sinclair/typebox';

/** Who the gateway authenticated. Services trust this, never a customer id inside a payload. */
export const Identity = T.Object({
  customerId: T.String(),
  role: T.Union([T.Literal('customer'), T.Literal('admin'), T.Literal('system')]),
});
export type Identity = Static<typeof Identity>;

export const Envelope = T.Object({
  id: T.String({ minLength: 1, maxLength: 200 }),
  type: T.String({ minLength: 1, maxLength: 200 }),
  version: T.Integer({ minimum: 1 }),
  source: T.String({ minLength: 1 }),
  time: T.String(),
  correlationId: T.String({ minLength: 1, maxLength: 200 }),
  causationId: T.Optional(T.String()),
  traceparent: T.Optional(T.String()),
  /** Absolute deadline, epoch milliseconds: work past it is not started. */
  deadline: T.Optional(T.Integer()),
  identity: T.Optional(Identity),
  /** For state-changing RPC methods: a repeat with the same key gets the first answer. */
  idempotencyKey: T.Optional(T.String({ minLength: 1, maxLength: 300 })),
  /** Ordering key (the aggregate id) of an event or command. */
  key: T.Optional(T.String()),
  data: T.Unknown(),
});
export type Envelope<D = unknown> = Omit<Static<typeof Envelope>, 'data'> & { data: D };

/** What a handler knows about the message or call that caused it; carried into what it sends. */
export interface Causation {
  correlationId: string;
  causationId?: string;
  traceparent?: string;
  deadline?: number;
  identity?: Identity;
}

export function newEnvelope<D>(fields: {
  type: string;
  version: number;
  source: string;
  data: D;
  cause?: Causation;
  key?: string;
  idempotencyKey?: string;
  id?: string;
}): Envelope<D> {
  const id = fields.id ?? randomUUID();
  const cause = fields.cause;
  const envelope: Envelope<D> = {
    id,
    type: fields.type,
    version: fields.version,
    source: fields.source,
    time: new Date().toISOString(),
    correlationId: cause?.correlationId ?? id,
    data: fields.data,
  };
  if (cause?.causationId) envelope.causationId = cause.causationId;
  if (cause?.traceparent) envelope.traceparent = cause.traceparent;
  if (cause?.deadline !== undefined) envelope.deadline = cause.deadline;
  if (cause?.identity) envelope.identity = cause.identity;
  if (fields.key !== undefined) envelope.key = fields.key;
  if (fields.idempotencyKey !== undefined) envelope.idempotencyKey = fields.idempotencyKey;
  return envelope;
}

/** The causation to hand on to whatever a handler of `envelope` sends. */
export function causedBy(envelope: Envelope, overrides: Partial<Causation> = {}): Causation {
  const cause: Causation = { correlationId: envelope.correlationId, causationId: envelope.id };
  if (envelope.traceparent) cause.traceparent = envelope.traceparent;
  if (envelope.deadline !== undefined) cause.deadline = envelope.deadline;
  if (envelope.identity) cause.identity = envelope.identity;
  return { ...cause, ...overrides };
}
