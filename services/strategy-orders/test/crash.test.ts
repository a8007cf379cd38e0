/**
 * The investment survives a crash at every step (as the chassis's saga crash tests, for this saga):
 * a child process makes the investment and is killed (SIGKILL) at one point; the service is started
 * again on the same database, the client asks again with the same Idempotency-Key (it never got, or
 * lost, its answer), and news the crash swallowed comes again. The investment completes with
 * nothing lost and nothing done twice: one investment, one payment, one order per allocation, each
 * status published once — and whatever was under way at the crash was really done again (answered
 * from payments' and orders' idempotency records: their `calls`).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { createTestDatabase, eventually, startTestService } from '@simplebank/chassis/testing';
import { parseMoney } from '@simplebank/money';
import { strategyOrdersContract } from '../src/contract.ts';
import { strategyOrdersService } from '../src/service.ts';
import { strategyOrdersSettings } from '../src/settings.ts';
import { BODY, CUSTOMER, KEY, SETTINGS, configure } from './crash-fixture.ts';
import { FakeWorld } from './fake-world.ts';

interface Case {
  at: string;
  /** A crash inside the fake payments or orders (after their effect, before they answer). */
  fake?: boolean;
  /** How often payments was asked for the payment (2: asked again after the crash, answered from its record). */
  paymentCalls?: number;
  /** How often orders was asked for each allocation's buy, in the strategy's order. */
  orderCalls?: [number, number, number];
}

const cases: Case[] = [
  { at: 'payment', fake: true, paymentCalls: 2 },
  { at: 'invest:answered' },
  { at: 'call:awaitPayment' },
  { at: 'action:awaitPayment' },
  { at: 'commit:awaitPayment' },
  { at: 'call:plan' },
  { at: 'action:plan' },
  { at: 'commit:plan' },
  { at: 'call:placeOrders' },
  { at: 'order:2', fake: true, orderCalls: [2, 2, 1] },
  { at: 'action:placeOrders', orderCalls: [2, 2, 2] },
  { at: 'commit:placeOrders' },
  { at: 'action:awaitOrders' },
  { at: 'commit:awaitOrders' },
];

describe('an investment killed at any step resumes: nothing lost, nothing done twice', { concurrency: 3 }, () => {
  const root = fileURLToPath(new URL('../../..', import.meta.url));
  const child = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
  strategyOrdersSettings.load({ ...process.env, ...SETTINGS });

  for (const c of cases) {
    test(`crash at ${c.at}`, async () => {
      const database = await createTestDatabase('so_crash');
      const world = new FakeWorld(database.db);
      configure(world);
      await world.prepare();
      let svc: Awaited<ReturnType<typeof startTestService>> | undefined;
      try {
        const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
          const env = {
            ...process.env,
            ...SETTINGS,
            CRASH_DB_URL: database.url,
            CRASH_AT: c.fake ? 'none' : c.at,
            ...(c.fake ? { FAKE_CRASH_AT: c.at } : {}),
          };
          const p = spawn(process.execPath, ['--import', 'tsx', child], {
            cwd: root,
            stdio: ['ignore', 'inherit', 'inherit'],
            env,
          });
          p.on('exit', (code, signal) => resolve({ code, signal }));
        });
        assert.deepEqual(exit, { code: null, signal: 'SIGKILL' }, 'the child reached the crash point');

        svc = await startTestService(strategyOrdersService, { database, stubs: world.stubs() });
        const answer = await svc.callAs(CUSTOMER)(strategyOrdersContract, 'invest', BODY, { idempotencyKey: KEY });
        await world.redeliver(svc.transport);
        const done = await eventually(
          async () => {
            const i = await svc!.callAs(CUSTOMER)(strategyOrdersContract, 'getInvestment', { investmentId: answer.id });
            return i.status === 'completed' ? i : undefined;
          },
          { message: `the investment to complete after a crash at ${c.at}` },
        );

        // One investment, paid once.
        const { rows: investments } = await database.db.query<{ id: string }>('SELECT id::text FROM investments');
        assert.deepEqual(
          investments.map((r) => r.id),
          [answer.id],
        );
        const payments = await world.payments();
        assert.equal(payments.length, 1, 'one payment');
        assert.equal(payments[0]!.id, done.paymentId);
        assert.equal(
          payments[0]!.calls,
          c.paymentCalls ?? 1,
          'payments asked again only when the crash lost its answer',
        );

        // One order per allocation, each within its share, all filled.
        const orders = await world.orders(answer.id);
        assert.deepEqual(
          orders.map((o) => o.asset_id),
          ['AAA', 'BBB', 'CCC'],
          'one order per allocation',
        );
        assert.deepEqual(
          orders.map((o) => o.calls),
          c.orderCalls ?? [1, 1, 1],
          'orders asked again only for buys under way at the crash',
        );
        assert.deepEqual(
          done.orders.map((o) => `${o.assetId}:${o.status}`),
          ['AAA:filled', 'BBB:filled', 'CCC:filled'],
        );
        assert.deepEqual(
          done.orders.map((o) => o.orderId),
          orders.map((o) => o.id),
        );
        assert.equal(
          parseMoney(done.invested) + parseMoney(done.fees) + parseMoney(done.leftover),
          parseMoney(BODY.amount),
        );

        // Each status published once: what a crash rolled back was not published.
        const { rows } = await database.db.query<{ body: string }>(
          "SELECT body FROM chassis_outbox WHERE destination = 'strategy-orders.InvestmentStatusChanged.v1' ORDER BY id",
        );
        assert.deepEqual(
          rows.map((r) => JSON.parse(r.body).data.status),
          ['awaiting_payment', 'ordering', 'completed'],
        );
      } finally {
        await svc?.stop();
        await database.drop();
      }
    });
  }
});
