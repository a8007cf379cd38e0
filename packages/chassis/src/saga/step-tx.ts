/**
 * The transaction of one saga step invocation, opened only when needed. A step that calls other
 * services does so with no transaction open; the transaction begins at the step's first local write
 * (or when its outcome is recorded), and the very first thing it does is lock the saga's row and
 * check that this runner still holds the lease. So the step's local writes, its outbox messages and
 * its recorded outcome commit together, by the lease holder only, and a pooled connection is held
 * for milliseconds, never across a call to another service.
 */
import type pg from 'pg';
import type { Database, Row } from '../db/database.ts';
import type { Causation } from '../messaging/envelope.ts';
import { outboxTx } from '../messaging/tx.ts';
import type { Tx } from '../runtime/service.ts';
import * as store from './store.ts';

/** The runner's lease on the saga was taken over (it outlived its lease): stop, change nothing. */
export class LeaseLost extends Error {}

type Open = { client: pg.PoolClient; tx: Tx & { readonly committed: Array<() => void> } };

export class StepTx implements Tx {
  private opened: Promise<Open> | undefined;
  private ended = false;
  private readonly hooks: Array<() => void> = [];

  constructor(
    private readonly db: Database,
    private readonly saga: { id: string; token: string },
    private readonly outbox: { service: string; cause: Causation },
  ) {}

  /** The open transaction (begun now if it was not): BEGIN, then the saga's row under the lease. */
  open(): Promise<Open> {
    if (this.ended) return Promise.reject(new Error('This saga step invocation has ended: its transaction can no longer be used'));
    this.opened ??= (async () => {
      const client = await this.db.connect();
      try {
        await client.query('BEGIN');
        if (!(await store.lockLeased(client, this.saga.id, this.saga.token))) throw new LeaseLost(`Saga ${this.saga.id}: lease lost`);
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        client.release();
        throw err;
      }
      return { client, tx: outboxTx(client, { ...this.outbox, db: this.db }) };
    })();
    return this.opened;
  }

  async query<R extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<pg.QueryResult<R>> {
    return (await this.open()).client.query<R>(sql, params as unknown[] | undefined);
  }

  publish: Tx['publish'] = async (event, data, options) => (await this.open()).tx.publish(event, data, options);
  send: Tx['send'] = async (command, data, options) => (await this.open()).tx.send(command, data, options);

  afterCommit(fn: () => void): void {
    this.hooks.push(fn);
  }

  /** Commits what the step and `record` wrote; after-commit hooks run once it is durable. */
  async commit(): Promise<void> {
    const { client, tx } = await this.open();
    this.ended = true;
    try {
      await client.query('COMMIT');
    } catch (err) {
      client.release(err as Error);
      throw err;
    }
    client.release();
    // The outbox's own (its rows handed to the relay), then the step's.
    for (const hook of [...tx.committed, ...this.hooks.splice(0)]) {
      try {
        hook();
      } catch {
        // A hook is a nudge (wake a worker); its failure must not undo a commit.
      }
    }
  }

  /**
   * Undoes whatever the invocation wrote. `discard` drops the connection instead (an action that
   * outlived its timeout may still be using it: the server rolls back when the connection goes).
   */
  async abandon(discard = false): Promise<void> {
    this.ended = true;
    this.hooks.length = 0;
    const opened = this.opened;
    if (!opened) return;
    let open: Open;
    try {
      open = await opened;
    } catch {
      return; // never opened: nothing to undo
    }
    if (discard) {
      open.client.release(new Error('saga step abandoned'));
      return;
    }
    try {
      await open.client.query('ROLLBACK');
      open.client.release();
    } catch (err) {
      open.client.release(err as Error);
    }
  }
}
