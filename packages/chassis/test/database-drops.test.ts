/**
 * PostgreSQL dropping a connection (a restart, an operator's pg_terminate_backend) while a client
 * is checked out for a transaction: the transaction fails, the process lives on, and the next
 * transaction gets a working connection.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { toAppError } from '../src/index.ts';
import { createTestDatabase } from '../src/testing/index.ts';

it('a connection dropped mid-transaction fails that transaction only; the pool recovers', async () => {
  const t = await createTestDatabase('drops');
  let uncaught: unknown;
  const onUncaught = (err: unknown) => (uncaught = err);
  process.on('uncaughtException', onUncaught);
  try {
    let failure: unknown;
    await assert.rejects(
      t.db.transaction(async (client) => {
        const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        await t.db.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
        // The server is gone for this client: pg emits 'error' on it, and this query fails.
        await new Promise((r) => setTimeout(r, 100));
        await client.query('SELECT 1');
      }).catch((err: unknown) => {
        failure = err;
        throw err;
      }),
    );
    // What a caller is told: the dependency is away, try again (503), not an internal error (500).
    const told = toAppError(failure);
    assert.equal(told.status, 503, `told ${told.status} ${told.code}: ${told.message}`);
    assert.equal(told.retryable, true);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(uncaught, undefined, 'no error escaped to the process');
    const { rows } = await t.db.transaction((client) => client.query<{ ok: number }>('SELECT 1 AS ok'));
    assert.equal(rows[0]!.ok, 1);
  } finally {
    process.off('uncaughtException', onUncaught);
    await t.drop();
  }
});

it('a connection dropped while checked out between queries never reaches the process, however it was checked out', async () => {
  const t = await createTestDatabase('drops_idle');
  let uncaught: unknown;
  const onUncaught = (err: unknown) => (uncaught = err);
  process.on('uncaughtException', onUncaught);
  try {
    // Straight from the pool, as a library user or a future chassis path might: no listener added.
    const clients = [await t.db.connect(), await t.db.pool.connect()];
    for (const client of clients) {
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await t.db.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
      await new Promise((r) => setTimeout(r, 100));
      await assert.rejects(client.query('SELECT 1'));
      client.release(new Error('broken'));
    }
    assert.equal(uncaught, undefined, 'no error escaped to the process');
    assert.equal((await t.db.query<{ ok: number }>('SELECT 1 AS ok')).rows[0]!.ok, 1);
  } finally {
    process.off('uncaughtException', onUncaught);
    await t.drop();
  }
});
