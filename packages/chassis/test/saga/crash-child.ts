/**
 * A runner in a process of its own, killed (SIGKILL, no cleanup) at the point named by
 * SAGA_CRASH_AT while advancing the sagas already begun in SAGA_CRASH_DB_URL; at `begin-commit`,
 * right after the commit of a transaction that begins saga SAGA_CRASH_ID (leased to this runner).
 * Run by saga.test.ts: `node --import tsx packages/chassis/test/saga/crash-child.ts`.
 */
import { Database } from '../../src/db/database.ts';
import { inTransaction } from '../../src/messaging/tx.ts';
import { cause, crashSaga, newRunner, SERVICE } from './fixtures.ts';

const url = process.env.SAGA_CRASH_DB_URL;
const crashAt = process.env.SAGA_CRASH_AT;
if (!url || !crashAt) throw new Error('SAGA_CRASH_DB_URL and SAGA_CRASH_AT are required');

// Should the crash point never be reached, fail loudly instead of hanging the test.
setTimeout(() => {
  console.error(`crash-child: ${crashAt} was never reached`);
  process.exit(3);
}, 20_000).unref();

const db = new Database({ url, name: 'saga-crash-child' });
const crashy = crashSaga(db, crashAt);
const runner = newRunner(db, [crashy, crashSaga(db, crashAt, { localS3: true })]);
await runner.start();
if (crashAt === 'begin-commit') {
  const id = process.env.SAGA_CRASH_ID;
  if (!id) throw new Error('SAGA_CRASH_ID is required at begin-commit');
  await inTransaction(db, { service: SERVICE, cause }, async (tx) => {
    await runner.begin(tx, crashy, { id, data: { fail: false }, cause });
    const { rows } = await tx.query('SELECT lease_token FROM chassis_sagas WHERE id = $1', [id]);
    console.log(`begun leased: ${rows[0]?.lease_token != null}`);
    tx.afterCommit(() => process.kill(process.pid, 'SIGKILL'));
  });
}
// Keep running until the saga reaches the crash point.
setInterval(() => {}, 1000);
