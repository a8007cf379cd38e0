/** Transactions with the outbox attached: `publish` and `send` write outbox rows in the transaction. */
import { attributeName, namespace } from '../config/naming.ts';
import type pg from 'pg';
import type { CommandDef, DataOf, EventDef, MessageDef } from '../contract/contract.ts';
import { assertValid } from '../contract/validation.ts';
import type { Database, Queryable, Row } from '../db/database.ts';
import { SpanKind, startSpan } from '../observability/tracing.ts';
import { newEnvelope, type Causation } from './envelope.ts';
import { appendToOutbox, type OutboxRow } from './outbox.ts';

export interface SendOptions {
  /** The aggregate the message is about: messages with one key are sent in order. */
  key?: string;
  /** A deterministic id makes a repeated send recognisable as the same message downstream. */
  id?: string;
}

/** A transaction of the service's database, with the outbox: what it publishes leaves only if it commits. */
export interface Tx extends Queryable {
  publish<E extends EventDef>(event: E, data: DataOf<E>, options?: SendOptions): Promise<void>;
  send<C extends CommandDef>(command: C, data: DataOf<C>, options?: SendOptions): Promise<void>;
  /** Runs after the transaction commits (e.g. waking a worker); never for a rolled back one. */
  afterCommit(fn: () => void): void;
}

export interface TxOptions {
  /** The sending service: the `source` of what is published. */
  service: string;
  cause: Causation;
  /** The database of the transaction: its relay, if this process runs it, is handed the rows after commit. */
  db?: Database;
}

/**
 * The relays of this process, by database. A row committed here is handed to its relay after the
 * commit, so the relay sends it without fetching it (a database round trip per wake-up saved);
 * rows of other processes, and any hand-off missed by a crash, are found by the relay's fetch.
 */
const handOffs = new WeakMap<Database, (row: OutboxRow) => void>();

export function registerHandOff(db: Database, handOff: (row: OutboxRow) => void): () => void {
  handOffs.set(db, handOff);
  return () => {
    if (handOffs.get(db) === handOff) handOffs.delete(db);
  };
}

class OutboxTx implements Tx {
  readonly committed: Array<() => void> = [];

  constructor(
    private readonly client: pg.PoolClient,
    private readonly options: TxOptions,
  ) {}

  query<R extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<pg.QueryResult<R>> {
    return this.client.query<R>(sql, params as unknown[] | undefined);
  }

  async publish<E extends EventDef>(event: E, data: DataOf<E>, options: SendOptions = {}): Promise<void> {
    if (event.service !== this.options.service)
      throw new Error(
        `${this.options.service} cannot publish ${event.type}: events are published by the service whose contract declares them`,
      );
    await this.write(event, data, options);
  }

  async send<C extends CommandDef>(command: C, data: DataOf<C>, options: SendOptions = {}): Promise<void> {
    await this.write(command, data, options);
  }

  afterCommit(fn: () => void): void {
    this.committed.push(fn);
  }

  private async write(def: MessageDef, data: unknown, options: SendOptions): Promise<void> {
    assertValid(def.data, data, `${def.type} data`);
    const cause = this.options.cause;
    // The producer span: the message carries it as its traceparent, its consumers' spans are its children.
    const span = startSpan(this.options.service, `${def.type} publish`, {
      kind: SpanKind.PRODUCER,
      parent: cause.traceparent,
      attributes: {
        'messaging.system': namespace(),
        'messaging.operation.type': 'publish',
        'messaging.destination.name': def.type,
        [attributeName('message.kind')]: def.kind,
      },
    });
    try {
      const envelope = newEnvelope({
        type: def.type,
        version: def.version,
        source: this.options.service,
        data,
        cause: { ...cause, traceparent: span.traceparent },
        ...(options.key !== undefined ? { key: options.key } : {}),
        ...(options.id !== undefined ? { id: options.id } : {}),
      });
      span.setAttributes({ 'messaging.message.id': envelope.id });
      const row = await appendToOutbox(this.client, { kind: def.kind, destination: def.type, envelope });
      const handOff = this.options.db && handOffs.get(this.options.db);
      if (handOff) this.committed.push(() => handOff(row));
      span.end();
    } catch (err) {
      span.end(err);
      throw err;
    }
  }
}

/** Wraps an open transaction's client as a Tx. The caller commits and then calls `runAfterCommit`. */
export function outboxTx(client: pg.PoolClient, options: TxOptions): Tx & { readonly committed: Array<() => void> } {
  return new OutboxTx(client, options);
}

/** Runs `fn` in a transaction with the outbox attached; after-commit hooks run once it committed. */
export async function inTransaction<T>(db: Database, options: TxOptions, fn: (tx: Tx) => Promise<T>): Promise<T> {
  let tx: OutboxTx | undefined;
  const result = await db.transaction(async (client) => {
    tx = new OutboxTx(client, { ...options, db });
    return fn(tx);
  });
  for (const hook of tx?.committed ?? []) {
    try {
      hook();
    } catch {
      // An after-commit hook is a nudge (wake a worker); its failure must not undo a commit.
    }
  }
  return result;
}

export function runAfterCommit(tx: { committed: Array<() => void> }): void {
  for (const hook of tx.committed.splice(0)) {
    try {
      hook();
    } catch {
      // see inTransaction
    }
  }
}
