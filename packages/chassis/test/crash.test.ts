/** A crash between commit and relay loses no message: the outbox row survives and is sent on restart. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, it } from 'node:test';
import { createTestDatabase, eventually, startTestSystem, testServerUrl } from '../src/testing/index.ts';
import { auditService, ledgerService } from './fixtures/services.ts';

const cleanup: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

it('a crash between commit and relay loses no message', async () => {
  await testServerUrl();
  const ledger = await createTestDatabase('ledger');
  const audit = await createTestDatabase('audit');
  cleanup.push(
    () => ledger.drop(),
    () => audit.drop(),
  );

  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', new URL('./fixtures/crash-after-commit.ts', import.meta.url).pathname],
    {
      env: { ...process.env, LEDGER_DB_URL: ledger.url },
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  assert.equal(child.signal, 'SIGKILL', `the child should have died by SIGKILL: ${child.stderr}`);
  const entryId = /committed (\S+)/.exec(child.stdout)?.[1];
  assert.ok(entryId, child.stdout + child.stderr);

  // The entry committed, and so did its event, unsent.
  const pending = await ledger.db.query<{ n: string }>(
    'SELECT count(*) AS n FROM chassis_outbox WHERE published_at IS NULL',
  );
  assert.equal(Number(pending.rows[0]!.n), 1);

  // Restart: the relay sends it, the consumer handles it once.
  const system = await startTestSystem([ledgerService, auditService], {
    databases: new Map([
      ['ledger', ledger],
      ['audit', audit],
    ]),
  });
  cleanup.push(() => system.stop());
  const row = await eventually(
    async () => (await audit.db.query<{ entry_id: string }>('SELECT entry_id FROM audit_log')).rows[0],
  ).catch(async (err: Error) => {
    const outbox = await ledger.db.query('SELECT id, published_at, attempts FROM chassis_outbox');
    const sessions = await ledger.db.query(
      'SELECT pid, application_name, state, wait_event, left(query, 80) AS query FROM pg_stat_activity WHERE datname = $1',
      [ledger.name],
    );
    const locks = await ledger.db.query(
      "SELECT pid, locktype, objid, granted FROM pg_locks WHERE locktype = 'advisory'",
    );
    throw new Error(
      `${err.message}; outbox ${JSON.stringify(outbox.rows)}; sessions ${JSON.stringify(sessions.rows)}; locks ${JSON.stringify(locks.rows)}`,
    );
  });
  assert.equal(row.entry_id, entryId);
  await eventually(
    async () =>
      Number(
        (await ledger.db.query<{ n: string }>('SELECT count(*) AS n FROM chassis_outbox WHERE published_at IS NULL'))
          .rows[0]!.n,
      ) === 0,
  );
  assert.equal((await audit.db.query('SELECT * FROM audit_log')).rowCount, 1);
});
