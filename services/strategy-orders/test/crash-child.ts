/**
 * strategy-orders in a process of its own, making one investment on the database CRASH_DB_URL and
 * killed (SIGKILL, no cleanup) at the point CRASH_AT names (see crash-fixture.ts).
 * Run by crash.test.ts: `node --import tsx services/strategy-orders/test/crash-child.ts`.
 */
import { Database } from '@simplebank/chassis';
import { startTestService } from '@simplebank/chassis/testing';
import { strategyOrdersContract } from '../src/contract.ts';
import { strategyOrdersService } from '../src/service.ts';
import { BODY, CUSTOMER, KEY, configure, crash, crashing } from './crash-fixture.ts';
import { FakeWorld } from './fake-world.ts';

const url = process.env.CRASH_DB_URL;
const at = process.env.CRASH_AT;
if (!url || !at) throw new Error('CRASH_DB_URL and CRASH_AT are required');

// Should the crash point never be reached, fail loudly instead of hanging the test.
setTimeout(() => {
  console.error(`crash-child: ${at} was never reached`);
  process.exit(3);
}, 30_000).unref();

const db = new Database({ url, name: 'strategy-orders-crash-child' });
const world = new FakeWorld(db);
configure(world);
const svc = await startTestService(crashing(strategyOrdersService, at), {
  database: { db, url, name: 'crash-child', drop: async () => {} },
  stubs: world.stubs(),
});
await svc.callAs(CUSTOMER)(strategyOrdersContract, 'invest', BODY, { idempotencyKey: KEY });
// Committed and answered, the answer lost with the process.
if (at === 'invest:answered') await crash();
// Keep running until the saga reaches the crash point.
setInterval(() => {}, 1000);
