/**
 * Queries with parameters run as prepared statements, once parsed per connection: the server does
 * not parse and plan the same text again for every order. Statements also survive a schema change
 * under them (PostgreSQL re-plans) and a failed statement leaves the connection usable.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../src/testing/index.ts';

let t: TestDatabase;
before(async () => {
  t = await createTestDatabase('prepared');
  await t.db.query('CREATE TABLE things (id int PRIMARY KEY, name text)');
});
after(() => t.drop());

it('a query with parameters is prepared once per connection and reused', async () => {
  await t.db.transaction(async (client) => {
    for (let i = 0; i < 3; i++) await client.query('INSERT INTO things (id, name) VALUES ($1, $2)', [i, `thing ${i}`]);
    const { rows } = await client.query<{ statement: string }>(
      'SELECT statement FROM pg_prepared_statements WHERE from_sql = false',
    );
    assert.deepEqual(
      rows.map((r) => r.statement),
      ['INSERT INTO things (id, name) VALUES ($1, $2)'],
      'one prepared statement for the three inserts (the parameterless SELECT is not prepared)',
    );
  });
  assert.equal(
    (await t.db.query('SELECT count(*)::int AS n FROM things WHERE id = ANY($1)', [[0, 1, 2]])).rows[0]!.n,
    3,
  );
});

it('a prepared statement follows a schema change, and one that fails leaves the connection working', async () => {
  const read = () => t.db.query<{ id: number }>('SELECT id FROM things WHERE id = $1', [1]);
  assert.deepEqual((await read()).rows, [{ id: 1 }]);
  await t.db.query('ALTER TABLE things ADD COLUMN note text');
  assert.deepEqual((await read()).rows, [{ id: 1 }]);
  await assert.rejects(t.db.query('INSERT INTO things (id, name) VALUES ($1, $2)', [1, 'duplicate']), /duplicate key/);
  await assert.rejects(t.db.query('SELECT nonsense FROM things WHERE id = $1', [1]), /nonsense/);
  assert.deepEqual((await read()).rows, [{ id: 1 }]);
});
