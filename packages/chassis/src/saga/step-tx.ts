/**
 * The transaction of one saga step invocation, opened only when needed. A step that calls other
 * services does so with no transaction open; the transaction begins at the step's first local write
 * (or when its outcome is recorded), and ends with the statement that records the outcome, which
 * changes the saga only under this runner's lease token (store.updateSaga) and otherwise throws
 * LeaseLost, rolling back everything the step wrote. So the step's local writes, its outbox messages
 * and its recorded outcome commit together, by the lease holder only, and a pooled connection is
 * held for milliseconds, never across a call to another service. (Checking the lease when the
 * transaction begins as well cost a statement per step and guarded nothing more.)
 *
 * Carried: when a step's outcome leads straight to the next step, its transaction is not committed
 * yet but carried into that step (`carry`). If the next step only writes locally (sends a command,
 * records a status, waits), both commit together: one commit for two steps. If it calls another
 * service before writing anything, the carried transaction commits first (`beforeCall`), so nothing
 * is held across the call. If it fails, what it wrote is rolled back to a savepoint taken at its
 * first write, and the step before still commits.
 *
 * Within: when a signal reaches a saga whose current step is local, the step can run inside the
 * transaction that delivers the signal (runner.ts, `signal`): the consumer's own. Then the step's
 * writes, its outcome and the signal commit together with the consumer's inbox row, or none do.
 * Such a StepTx never begins, commits or rolls back anything itself: it writes through the outer
 * transaction, hands its after-commit hooks to it, and the runner undoes a failed turn with a
 * savepoint. It refuses a call to another service (that would hold the outer transaction open
 * across the call): the turn fails, is undone, and a runner takes it the usual way.
 */
import type pg from 'pg';
import type { Database, Row } from '../db/database.ts';
import type { Causation } from '../messaging/envelope.ts';
import { outboxTx } from '../messaging/tx.ts';
import type { Tx } from '../messaging/tx.ts';

type Open = { client: pg.PoolClient; tx: Tx & { readonly committed: Array<() => void> } };

export class StepTx implements Tx {
  private opened: Promise<Open> | undefined;
  private ended = false;
  private readonly hooks: Array<() => void> = [];
  /** Shared with the outbox writer: `carry` points it at the next step's causation. */
  private readonly outbox: { service: string; cause: Causation; db: Database };
  /** Carried from the step before (its outcome not yet committed). */
  private carried = false;
  /** Where the carried-into step's writes begin: what is undone if it fails. */
  private savepoint: { hooks: number; outbox: number } | undefined;

  constructor(
    private readonly db: Database,
    /** The saga and the lease token this invocation holds it under. */
    readonly saga: { id: string; token: string },
    outbox: { service: string; cause: Causation },
    /** The transaction this invocation runs within (see above), if any. */
    private readonly outer?: Tx,
  ) {
    this.outbox = { ...outbox, db };
  }

  /** This transaction, open with the step before's outcome, handed to the next step (see above). */
  carry(cause: Causation): StepTx {
    this.outbox.cause = cause;
    this.carried = this.opened !== undefined;
    this.savepoint = undefined;
    return this;
  }

  /** Before the step calls another service: a carried transaction it has not written to commits now. */
  async beforeCall(): Promise<void> {
    if (this.outer) throw new Error('A step run within the transaction that signalled it cannot call another service');
    if (!this.carried || this.savepoint || !this.opened) return;
    await this.commitOpen();
  }

  /** The open transaction (begun now if it was not). */
  open(): Promise<Open> {
    if (this.ended)
      return Promise.reject(new Error('This saga step invocation has ended: its transaction can no longer be used'));
    if (this.outer) {
      const outer = this.outer;
      // The outer transaction's connection, as a client: only `query` is used on it.
      const client = {
        query: (sql: string, params?: unknown[]) => outer.query(sql, params),
      } as unknown as pg.PoolClient;
      this.opened ??= Promise.resolve({ client, tx: outboxTx(client, this.outbox) });
      return this.opened;
    }
    this.opened ??= (async () => {
      const client = await this.db.connect();
      try {
        await client.query('BEGIN');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        client.release();
        throw err;
      }
      return { client, tx: outboxTx(client, this.outbox) };
    })();
    return this.opened;
  }

  async query<R extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<pg.QueryResult<R>> {
    return (await this.write()).client.query<R>(sql, params as unknown[] | undefined);
  }

  publish: Tx['publish'] = async (event, data, options) => (await this.write()).tx.publish(event, data, options);
  send: Tx['send'] = async (command, data, options) => (await this.write()).tx.send(command, data, options);

  /** The open transaction, for a write of this step: in a carried one, after the savepoint. */
  private async write(): Promise<Open> {
    const open = await this.open();
    if (this.carried && !this.savepoint) {
      // Set before the await: a second write in the same tick finds it and queues behind it.
      this.savepoint = { hooks: this.hooks.length, outbox: open.tx.committed.length };
      await open.client.query('SAVEPOINT carried_step');
    }
    return open;
  }

  afterCommit(fn: () => void): void {
    this.hooks.push(fn);
  }

  /** Commits what the step and `record` wrote; after-commit hooks run once it is durable. */
  async commit(): Promise<void> {
    await this.open();
    this.ended = true;
    await this.commitOpen();
  }

  /** Commits the open transaction and runs its hooks; a later write opens a new one. */
  private async commitOpen(): Promise<void> {
    const { client, tx } = await this.opened!;
    this.opened = undefined;
    if (this.outer) {
      // Committed with the outer transaction: its hooks run then.
      for (const hook of [...tx.committed.splice(0), ...this.hooks.splice(0)]) this.outer.afterCommit(hook);
      return;
    }
    this.carried = false;
    this.savepoint = undefined;
    try {
      await client.query('COMMIT');
    } catch (err) {
      client.release(err as Error);
      throw err;
    }
    client.release();
    // The outbox's own (its rows handed to the relay), then the step's.
    for (const hook of [...tx.committed.splice(0), ...this.hooks.splice(0)]) {
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
    if (this.outer) {
      // The runner rolls the outer transaction back to its savepoint.
      this.hooks.length = 0;
      this.opened = undefined;
      return;
    }
    const opened = this.opened;
    if (!opened) return;
    let open: Open;
    try {
      open = await opened;
    } catch {
      return; // never opened: nothing to undo
    }
    if (this.carried && !discard) {
      // Undo this step's writes only: the step before's outcome still commits.
      const savepoint = this.savepoint;
      if (savepoint) {
        await open.client.query('ROLLBACK TO SAVEPOINT carried_step');
        this.hooks.length = savepoint.hooks;
        open.tx.committed.length = savepoint.outbox;
      }
      return this.commitOpen();
    }
    this.hooks.length = 0;
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
