/**
 * Idempotency keys for state-changing RPC methods: the key, a hash of the request and the first
 * answer commit with the method's writes, so a repeat gets the first answer and changes nothing.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Database, Queryable } from '../db/database.ts';
import { ConflictError, UnavailableError, toAppError, type WireError } from '../errors.ts';
import { OverloadedError } from '../resilience/shedding.ts';
import type { Tx } from './tx.ts';
import { outboxTx, type TxOptions } from './tx.ts';

export function requestHash(data: unknown): string {
  return createHash('sha256').update(stableStringify(data)).digest('hex');
}

/** JSON with object keys sorted, so equal requests hash equally whatever their key order. */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
}

/** The wire form of an RPC answer, as stored for a key. */
type StoredReply = { ok: true; data: unknown } | { ok: false; error: WireError };

/** The key was answered already (by an earlier call, or a concurrent twin that committed first). */
class AlreadyAnswered extends Error {
  constructor(readonly reply: StoredReply) {
    super('idempotency key already answered');
  }
}

function reused(method: string): StoredReply {
  return {
    ok: false,
    error: new ConflictError(
      'idempotency_key_reused',
      `Idempotency key was already used for ${method} with a different request`,
    ).toWire(),
  };
}

/**
 * One call of an idempotent method. Nothing is held while the handler reads or calls other
 * services, and the key costs one statement: it is claimed, with the answer, by the last statement
 * of the handler's own transaction, which then commits. So the handler's writes, its outbox and the
 * answer commit together. A twin that committed the key first (a repeat, or a concurrent call that
 * won) makes the claim find it: this call's writes are rolled back and the twin's answer is the reply,
 * so a repeat changes nothing. A handler that calls `ctx.transaction` twice gets the same transaction;
 * one that never does has its answer stored alone.
 *
 * A repeat is found by that claim, so a first call (the usual case) reads nothing before it. Only a
 * handler that changes another service's state (`beforeEffect`, called by the host before such a
 * call) looks the key up first: a repeat is then answered from the record without calling anyone again.
 * (Until 2026-12 the key was claimed by the first statement of the transaction and answered by an
 * UPDATE before the commit: two statements per call where one does, decision 0010.)
 */
export class IdempotentCall {
  private opened: { client: pg.PoolClient; tx: Tx & { readonly committed: Array<() => void> } } | undefined;
  private checked = false;

  constructor(
    private readonly db: Database,
    private readonly key: { method: string; key: string; hash: string },
    private readonly txOptions: TxOptions,
  ) {}

  /** `ctx.transaction` for the handler. */
  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    if (!this.opened) {
      const client = await this.db.connect();
      try {
        await client.query('BEGIN');
      } catch (err) {
        client.release(err as Error);
        throw err;
      }
      this.opened = { client, tx: outboxTx(client, { ...this.txOptions, db: this.db }) };
    }
    return fn(this.opened.tx);
  }

  /**
   * Runs the handler and stores its answer (a business refusal included; a retryable failure or an
   * internal error is not an answer: nothing is kept, and a retry may succeed). Returns the key's answer.
   */
  async run(handler: () => Promise<unknown>): Promise<StoredReply> {
    let reply: StoredReply;
    try {
      reply = { ok: true, data: await handler() };
    } catch (err) {
      await this.rollback();
      if (err instanceof AlreadyAnswered) return err.reply;
      // Refused for load before any work: not an answer, and a lookup would cost the database the
      // very work the refusal saves. A repeat of an answered key learns its answer when it retries.
      if (err instanceof OverloadedError) throw err;
      // A repeat runs the handler again until its claim; what it trips over meanwhile (a unique
      // row the first call wrote, funds the first call spent) is not its answer: the first one is.
      const earlier = await this.find(this.db).catch(() => undefined);
      if (earlier) return earlier;
      const e = toAppError(err);
      // Only a refusal of the request (4xx) is the key's answer. A retryable failure, or a fault of
      // ours (500), is not: nothing is kept, and the same key may be tried again.
      if (e.retryable || e.status >= 500) throw err;
      reply = { ok: false, error: e.toWire() };
    }
    if (!this.opened || !reply.ok) return this.storeAlone(reply);
    const { client, tx } = this.opened;
    this.opened = undefined;
    try {
      // Waits for a twin that claimed the key and has not committed yet; finds it if it did.
      const claimed = await client.query(
        'INSERT INTO chassis_idempotency (method, key, request_hash, response) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
        [this.key.method, this.key.key, this.key.hash, JSON.stringify(reply)],
      );
      if (claimed.rowCount !== 1) {
        await client.query('ROLLBACK');
        client.release();
        return this.stored(this.db);
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      client.release();
      throw err;
    }
    client.release();
    for (const hook of tx.committed) {
      try {
        hook();
      } catch {
        // a nudge only
      }
    }
    return reply;
  }

  /**
   * Before the handler's first state-changing call to another service: a key answered already ends
   * the handler here (its answer is the reply), so a repeat calls no one again.
   */
  async beforeEffect(): Promise<void> {
    if (this.checked) return;
    this.checked = true;
    const earlier = await this.find(this.db);
    if (earlier) throw new AlreadyAnswered(earlier);
  }

  /** Stores an answer made without a transaction of the handler's; a twin's earlier answer wins. */
  private async storeAlone(reply: StoredReply): Promise<StoredReply> {
    const inserted = await this.db.query(
      'INSERT INTO chassis_idempotency (method, key, request_hash, response) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
      [this.key.method, this.key.key, this.key.hash, JSON.stringify(reply)],
    );
    return inserted.rowCount === 1 ? reply : this.stored(this.db);
  }

  /** The committed answer of the key, which must be there (a twin committed it). */
  private async stored(db: Queryable): Promise<StoredReply> {
    const reply = await this.find(db);
    if (!reply)
      throw new UnavailableError('The first call with this key has not finished; try again', 'idempotency_in_progress');
    return reply;
  }

  /** The key's answer if it has one (for the same request; another request gets `idempotency_key_reused`). */
  private async find(db: Queryable): Promise<StoredReply | undefined> {
    const { rows } = await db.query<{ request_hash: string; response: string | null }>(
      'SELECT request_hash, response FROM chassis_idempotency WHERE method = $1 AND key = $2',
      [this.key.method, this.key.key],
    );
    const row = rows[0];
    if (!row) return undefined;
    if (row.request_hash !== this.key.hash) return reused(this.key.method);
    return row.response === null ? undefined : (JSON.parse(row.response) as StoredReply);
  }

  private async rollback(): Promise<void> {
    const opened = this.opened;
    this.opened = undefined;
    if (!opened) return;
    try {
      await opened.client.query('ROLLBACK');
      opened.client.release();
    } catch (err) {
      opened.client.release(err as Error);
    }
  }
}
