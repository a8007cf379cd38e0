/**
 * A runner in a process of its own, killed (SIGKILL, no cleanup) at the point named by
 * SAGA_CRASH_AT while advancing the sagas already begun in SAGA_CRASH_DB_URL.
 * Run by saga.test.ts: `node --import tsx packages/chassis/test/saga/crash-child.ts`.
 */
import { Database } from '../../src/db/database.ts';
import { crashSaga, newRunner } from './fixtures.ts';

const url = process.env.SAGA_CRASH_DB_URL;
const crashAt = process.env.SAGA_CRASH_AT;
if (!url || !crashAt) throw new Error('SAGA_CRASH_DB_URL and SAGA_CRASH_AT are required');

// Should the crash point never be reached, fail loudly instead of hanging the test.
setTimeout(() => {
  console.error(`crash-child: ${crashAt} was never reached`);
  process.exit(3);
}, 20_000).unref();

const db = new Database({ url, name: 'saga-crash-child' });
const runner = newRunner(db, [crashSaga(db, crashAt), crashSaga(db, crashAt, { localS3: true })]);
await runner.start();
// Keep running until the saga reaches the crash point.
setInterval(() => {}, 1000);
