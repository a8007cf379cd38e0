/**
 * Declaring a service's contract: its RPC methods, the events it publishes and the commands (jobs)
 * it accepts, each with a TypeBox schema. The schemas are the single source for static types,
 * runtime validation on both sides, and the JSON Schema / AsyncAPI / OpenAPI documents.
 */
import { Type as T, type Static, type TSchema } from '@sinclair/typebox';

export interface RpcDef<Req extends TSchema = TSchema, Res extends TSchema = TSchema> {
  readonly kind: 'rpc';
  readonly request: Req;
  readonly response: Res;
  /** Error codes this method may answer besides the generic ones (validation, unavailable, deadline). */
  readonly errors: readonly string[];
  /** State-changing: callers pass an idempotency key; the provider answers a repeat with the first answer. */
  readonly idempotent: boolean;
  readonly description?: string;
}

export interface MessageDef<D extends TSchema = TSchema> {
  readonly kind: 'event' | 'command';
  /** The service that owns the definition (publisher of an event, consumer of a command). */
  readonly service: string;
  readonly name: string;
  readonly version: number;
  /** Wire type, e.g. `orders.OrderFilled.v1`: the routing key of an event, the name of a command. */
  readonly type: string;
  readonly data: D;
  readonly description?: string;
}
export interface EventDef<D extends TSchema = TSchema> extends MessageDef<D> {
  readonly kind: 'event';
}
export interface CommandDef<D extends TSchema = TSchema> extends MessageDef<D> {
  readonly kind: 'command';
}

interface MessageInput<D extends TSchema> {
  /** Defaults to the key under which the message is declared in the contract. */
  name?: string;
  version?: number;
  data: D;
  description?: string;
}
interface PendingMessage<K extends 'event' | 'command', D extends TSchema> extends MessageInput<D> {
  readonly kind: K;
}

export function rpc<Req extends TSchema, Res extends TSchema>(def: {
  request: Req;
  response: Res;
  errors?: readonly string[];
  idempotent?: boolean;
  description?: string;
}): RpcDef<Req, Res> {
  return {
    kind: 'rpc',
    request: def.request,
    response: def.response,
    errors: def.errors ?? [],
    idempotent: def.idempotent ?? false,
    ...(def.description ? { description: def.description } : {}),
  };
}

export function event<D extends TSchema>(def: MessageInput<D>): PendingMessage<'event', D> {
  return { kind: 'event', ...def };
}

export function command<D extends TSchema>(def: MessageInput<D>): PendingMessage<'command', D> {
  return { kind: 'command', ...def };
}

type Resolved<P> =
  P extends PendingMessage<'event', infer D>
    ? EventDef<D>
    : P extends PendingMessage<'command', infer D>
      ? CommandDef<D>
      : never;

export interface Contract<
  S extends string = string,
  R extends Record<string, RpcDef> = Record<string, RpcDef>,
  E extends Record<string, EventDef> = Record<string, EventDef>,
  C extends Record<string, CommandDef> = Record<string, CommandDef>,
> {
  readonly service: S;
  readonly rpc: R;
  readonly events: E;
  readonly commands: C;
}

export function defineContract<
  const S extends string,
  R extends Record<string, RpcDef> = {},
  E extends Record<string, PendingMessage<'event', TSchema>> = {},
  C extends Record<string, PendingMessage<'command', TSchema>> = {},
>(def: {
  service: S;
  rpc?: R;
  events?: E;
  commands?: C;
}): Contract<S, R, { [K in keyof E]: Resolved<E[K]> }, { [K in keyof C]: Resolved<C[K]> }> {
  if (!/^[a-z][a-z0-9-]*$/.test(def.service))
    throw new Error(`Service name "${def.service}" must be lower-case kebab-case`);
  const resolve = (pending: Record<string, PendingMessage<'event' | 'command', TSchema>> | undefined) =>
    Object.fromEntries(
      Object.entries(pending ?? {}).map(([key, p]) => {
        const name = p.name ?? key;
        const version = p.version ?? 1;
        const resolved: MessageDef = {
          kind: p.kind,
          service: def.service,
          name,
          version,
          type: `${def.service}.${name}.v${version}`,
          data: p.data,
          ...(p.description ? { description: p.description } : {}),
        };
        return [key, resolved];
      }),
    );
  return {
    service: def.service,
    rpc: (def.rpc ?? {}) as R,
    events: resolve(def.events) as { [K in keyof E]: Resolved<E[K]> },
    commands: resolve(def.commands) as { [K in keyof C]: Resolved<C[K]> },
  };
}

export type RequestOf<D extends RpcDef> = Static<D['request']>;
export type ResponseOf<D extends RpcDef> = Static<D['response']>;
export type DataOf<D extends MessageDef> = Static<D['data']>;

/** An instant on the wire: ISO 8601 in UTC with milliseconds, as `Date.toISOString()` writes it. */
export const DateTime = T.String({ format: 'date-time', description: 'ISO 8601 UTC, milliseconds' });

/** The request side of cursor pagination: `limit` 1–200 (default 50), an opaque `cursor`. */
export const PageRequest = {
  limit: T.Optional(T.Integer({ minimum: 1, maximum: 200 })),
  cursor: T.Optional(T.String({ minLength: 1, maxLength: 500 })),
};

/** A page of items, newest first, with the cursor of the next page (null on the last). */
export function Page<I extends TSchema>(item: I) {
  return T.Object({ items: T.Array(item), nextCursor: T.Union([T.String(), T.Null()]) });
}
