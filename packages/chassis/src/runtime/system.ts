/**
 * RPC methods every service answers, beside its own contract: the dead-letter store ("message
 * hospital"), saga inspection, breakers, its readiness, and the replay of the events it published. Call them with `call(systemContract('orders'), '_deadLetters', …)`.
 */
import { Type as T } from '@sinclair/typebox';
import { rpc, type Contract } from '../contract/contract.ts';

const DeadLetter = T.Object({
  id: T.String(),
  service: T.String(),
  consumer: T.String(),
  messageId: T.Union([T.String(), T.Null()]),
  messageType: T.Union([T.String(), T.Null()]),
  reason: T.String(),
  attempts: T.Integer(),
  firstFailedAt: T.String(),
  lastFailedAt: T.String(),
});

const ReadinessCheck = T.Object({ name: T.String(), ready: T.Boolean(), detail: T.Optional(T.String()) });

export const systemMethods = {
  _deadLetters: rpc({
    request: T.Object({
      limit: T.Optional(T.Integer({ minimum: 1, maximum: 200 })),
      cursor: T.Optional(T.String({ format: 'uuid' })),
    }),
    response: T.Object({ items: T.Array(DeadLetter), nextCursor: T.Union([T.String(), T.Null()]) }),
    description: 'Dead letters waiting for a decision, newest first',
  }),
  _deadLetter: rpc({
    request: T.Object({ id: T.String({ format: 'uuid' }) }),
    response: T.Object({
      ...DeadLetter.properties,
      message: T.Unknown({
        description:
          'The message as it arrived (its envelope: type, data, identity…), secrets and personal data redacted; a body that was not JSON is its text, redacted',
      }),
    }),
    errors: ['not_found'],
    description:
      'One dead letter waiting for a decision, with its message (redacted): what the consumer could not handle',
  }),
  _replayDeadLetter: rpc({
    request: T.Object({ id: T.String({ format: 'uuid' }) }),
    response: T.Object({ id: T.String(), outcome: T.Union([T.Literal('handled'), T.Literal('duplicate')]) }),
    errors: ['not_found', 'replay_failed'],
    description: 'Hands a dead letter to its consumer again; it leaves the store if handled',
  }),
  _discardDeadLetter: rpc({
    request: T.Object({ id: T.String({ format: 'uuid' }) }),
    response: T.Object({ id: T.String() }),
    errors: ['not_found'],
  }),
  _replayEvents: rpc({
    request: T.Object({
      types: T.Array(T.String({ minLength: 1 }), { minItems: 1, maxItems: 50 }),
      since: T.String({ format: 'date-time' }),
      limit: T.Optional(T.Integer({ minimum: 1, maximum: 1000 })),
      cursor: T.Optional(T.String({ pattern: '^[0-9]{1,18}$' })),
    }),
    response: T.Object({
      replayed: T.Integer(),
      nextCursor: T.Union([T.String(), T.Null()]),
      /** When the oldest event still kept was published: history before it is gone (null: none kept). */
      retainedSince: T.Union([T.String(), T.Null()]),
    }),
    description:
      'Publishes again, in their first order, the events of these types this service published since a time (kept in its outbox for the retention period): the history a new or rebuilt read model needs. Subscribers that handled them already ignore them (their inbox)',
  }),
  _saga: rpc({
    request: T.Object({ id: T.String() }),
    response: T.Unknown(),
    errors: ['not_found'],
    description: 'A saga instance: its status, data, steps and their outcomes',
  }),
  _sagas: rpc({
    request: T.Object({
      status: T.Optional(
        T.Union(['running', 'waiting', 'compensating', 'completed', 'compensated', 'failed'].map((x) => T.Literal(x))),
      ),
      limit: T.Optional(T.Integer({ minimum: 1, maximum: 200 })),
      cursor: T.Optional(T.String({ minLength: 1, maxLength: 200 })),
    }),
    response: T.Object({ items: T.Array(T.Unknown()), nextCursor: T.Union([T.String(), T.Null()]) }),
    description:
      "The service's saga instances, newest first, of one status when given: each its type, status, data, current step, failure, times and trace id",
  }),
  _readiness: rpc({
    request: T.Object({}),
    response: T.Object({ service: T.String(), ready: T.Boolean(), checks: T.Array(ReadinessCheck) }),
    description:
      "The service's readiness checks (lifecycle, database, transport, outbox relay, sagas, its circuit breakers) as the process that answers sees them: what its /health/ready says about it, asked over the transport, so it works the same when every service has a process of its own",
  }),
  _signals: rpc({
    request: T.Object({}),
    response: T.Object({
      service: T.String(),
      at: T.String({ format: 'date-time' }),
      requests: T.Number({ description: 'RPC calls answered and HTTP requests served since the process started' }),
      errors: T.Number({ description: 'Of which failed on the server side (5xx, fault, deadline passed)' }),
      latency: T.Object({
        count: T.Number(),
        sum: T.Number(),
        buckets: T.Array(T.Object({ le: T.Number(), count: T.Number() }), {
          description: 'Cumulative counts per upper bound in seconds; +Inf is count',
        }),
      }),
      inFlight: T.Integer({ description: 'RPC requests being answered now, this one left out' }),
      outbox: T.Object({ backlog: T.Integer(), oldestAgeSeconds: T.Number() }),
      relayLag: T.Object({ count: T.Number(), sum: T.Number() }),
      queues: T.Array(
        T.Object({ queue: T.String(), ready: T.Integer(), unacked: T.Integer(), consumers: T.Integer() }),
      ),
    }),
    description:
      "The service's golden signals as its process counts them: request, error and latency totals since it started (a sampler takes differences over its own interval), its outbox backlog and relay lag, and its queues' depths now",
  }),
  _breaker: rpc({
    request: T.Object({ target: T.String({ minLength: 1 }), state: T.Union([T.Literal('open'), T.Literal('auto')]) }),
    response: T.Object({
      target: T.String(),
      state: T.Union([T.Literal('closed'), T.Literal('open'), T.Literal('half-open'), T.Literal('forced-open')]),
    }),
    errors: ['not_found'],
    description:
      "Forces the service's circuit breaker towards a target open ('open'), or gives it back to its automatic control ('auto')",
  }),
};

export type SystemContract = Contract<string, typeof systemMethods, {}, {}>;

export function systemContract(service: string): SystemContract {
  return { service, rpc: systemMethods, events: {}, commands: {} };
}
