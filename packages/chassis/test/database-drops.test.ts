/**
 * PostgreSQL dropping a connection (a restart, an operator's pg_terminate_backend) while a client
 * is checked out: the work on it fails, the process lives on, and the next transaction gets a
 * working connection.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { toAppError } from '../src/index.ts';
import { createTestDatabase, type TestDatabase } from '../src/testing/index.ts';

/** Runs `fn` on a database of its own and fails if any error reached the process meanwhile (pg raises an unheard 'error' there). */
async function withoutUncaught(name: string, fn: (t: TestDatabase) => Promise<void>): Promise<void> {
  const t = await createTestDatabase(name);
  let uncaught: unknown;
  const onUncaught = (err: unknown) => (uncaught = err);
  process.on('uncaughtException', onUncaught);
  try {
    await fn(t);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(uncaught, undefined, 'no error escaped to the process');
  } finally {
    process.off('uncaughtException', onUncaught);
    await t.drop();
  }
}

/** Ends the server side of `client`'s connection, as a restart would, and waits for pg to hear of it. */
async function terminate(t: TestDatabase, client: { query<R>(sql: string): Promise<{ rows: R[] }> }): Promise<void> {
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  await t.db.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
  await new Promise((r) => setTimeout(r, 100));
}

it('a connection dropped mid-transaction fails that transaction only; the pool recovers', () =>
  withoutUncaught('drops', async (t) => {
    let failure: unknown;
    await assert.rejects(
      t.db
        .transaction(async (client) => {
          await terminate(t, client);
          await client.query('SELECT 1');
        })
        .catch((err: unknown) => {
          failure = err;
          throw err;
        }),
    );
    // What a caller is told: the dependency is away, try again (503), not an internal error (500).
    const told = toAppError(failure);
    assert.equal(told.status, 503, `told ${told.status} ${told.code}: ${told.message}`);
    assert.equal(told.retryable, true);
    const { rows } = await t.db.transaction((client) => client.query<{ ok: number }>('SELECT 1 AS ok'));
    assert.equal(rows[0]!.ok, 1);
  }));

it('a connection dropped while checked out between queries never reaches the process, however it was checked out', () =>
  withoutUncaught('drops_idle', async (t) => {
    // Straight from the pool too, as a library user or a future chassis path might: no listener added.
    for (const client of [await t.db.connect(), await t.db.pool.connect()]) {
      await terminate(t, client);
      await assert.rejects(client.query('SELECT 1'));
      client.release(new Error('broken'));
    }
    assert.equal((await t.db.query<{ ok: number }>('SELECT 1 AS ok')).rows[0]!.ok, 1);
  }));
