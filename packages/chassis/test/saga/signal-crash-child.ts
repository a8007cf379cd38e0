/**
 * A handler's transaction that signals a saga waiting in a local step — so the step's turn runs in
 * that transaction — killed (SIGKILL) at SIGNAL_CRASH_AT: `before-commit` (after the turn, before
 * COMMIT) or `after-commit`. Run by saga-signal-within.test.ts.
 */
import { Database } from '../../src/db/database.ts';
import { recordInInbox } from '../../src/messaging/inbox.ts';
import { inTransaction } from '../../src/messaging/tx.ts';
import { cause, newRunner, SERVICE } from './fixtures.ts';
import { waitingSaga } from './signal-fixtures.ts';

const url = process.env.SIGNAL_CRASH_DB_URL;
const crashAt = process.env.SIGNAL_CRASH_AT;
const sagaId = process.env.SIGNAL_CRASH_SAGA;
if (!url || !crashAt || !sagaId)
  throw new Error('SIGNAL_CRASH_DB_URL, SIGNAL_CRASH_AT and SIGNAL_CRASH_SAGA are required');

const crash = (): never => {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
};

const db = new Database({ url, name: 'saga-signal-crash-child' });
const saga = waitingSaga(db);
const runner = newRunner(db, [saga]);
await runner.start();
await inTransaction(db, { service: SERVICE, cause }, async (tx) => {
  await recordInInbox(tx, 'test.go', `go-${sagaId}`, 'go');
  await runner.signal(tx, saga, sagaId, 'go', { n: 1 }, { dedupKey: 'go' });
  // The turn ran in this transaction: it shows here, before the commit.
  const { rows } = await tx.query<{ current_step: string }>('SELECT current_step FROM chassis_sagas WHERE id = $1', [
    sagaId,
  ]);
  console.log(`within: ${rows[0]?.current_step}`);
  if (crashAt === 'before-commit') crash();
  if (crashAt === 'after-commit') tx.afterCommit(() => crash());
});
setInterval(() => {}, 1000);
