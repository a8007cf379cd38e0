/**
 * A signal to a saga waiting in a local step takes the step's turn in the signalling transaction
 * (runner.ts, `signal`): the turn commits with it or not at all, and anything it cannot do there is
 * left to a runner. Real PostgreSQL; no timing assertions.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Database } from '../src/db/database.ts';
import { recordInInbox } from '../src/messaging/inbox.ts';
import type { Call } from '../src/messaging/rpc.ts';
import { inTransaction } from '../src/messaging/tx.ts';
import type { SagaRunner } from '../src/saga/runner.ts';
import { stopPrivateServer } from '../src/testing/database.ts';
import { begin, cause, counts, newRunner, SERVICE, statusIs, testDatabase, withRunner } from './saga/fixtures.ts';
import { waitingSaga, type WaitingData } from './saga/signal-fixtures.ts';
import type { SagaDefinition } from '../src/saga/types.ts';

after(() => stopPrivateServer());

/** The saga's row as the transaction `q` sees it. */
async function sagaRow(q: Pick<Database, 'query'>, id: string) {
  const { rows } = await q.query<{ status: string; current_step: string | null; lease_token: string | null }>(
    'SELECT status, current_step, lease_token FROM chassis_sagas WHERE id = $1',
    [id],
  );
  return rows[0];
}

async function waiting(runner: SagaRunner, db: Database, saga: ReturnType<typeof waitingSaga>): Promise<string> {
  const id = await begin(runner, db, saga, {});
  await statusIs(runner, id, 'waiting');
  return id;
}

/** As a handler would: an inbox row, the signal; `inside` sees the transaction before its commit. */
function deliver(
  runner: SagaRunner,
  saga: SagaDefinition<WaitingData>,
  db: Database,
  id: string,
  inside?: (q: Pick<Database, 'query'>) => Promise<void>,
): Promise<boolean> {
  return inTransaction(db, { service: SERVICE, cause }, async (tx) => {
    if (!(await recordInInbox(tx, 'test.go', `go-${id}`, 'go'))) return false;
    await runner.signal(tx, saga, id, 'go', { n: 1 }, { dedupKey: 'go' });
    await inside?.(tx);
    return true;
  });
}

test('a saga that starts waiting with nothing to wake it is handed back: no lease, and the signal takes it', async () => {
  await withRunner(
    (db) => [waitingSaga(db)],
    async ({ db, runner, sagas: [saga] }) => {
      const id = await waiting(runner, db, saga);
      const { rows } = await db.query<{ lease_token: string | null; locked_until: Date | null }>(
        'SELECT lease_token, locked_until FROM chassis_sagas WHERE id = $1',
        [id],
      );
      assert.deepEqual(rows[0], { lease_token: null, locked_until: null });
      // Free, so the signal's own transaction can take it (it takes only a saga no one holds).
      let seen: Awaited<ReturnType<typeof sagaRow>>;
      await deliver(runner, saga, db, id, async (tx) => {
        seen = await sagaRow(tx, id);
      });
      assert.equal(seen!.current_step, 'last');
      await statusIs(runner, id, 'completed');
    },
  );
});

test('the waiting local step, and the local step after it, run in the transaction that signals; a runner takes the rest', async () => {
  await withRunner(
    (db) => [waitingSaga(db)],
    async ({ db, runner, sagas: [saga] }) => {
      const id = await waiting(runner, db, saga);
      let seen: Awaited<ReturnType<typeof sagaRow>>;
      await deliver(runner, saga, db, id, async (tx) => {
        seen = await sagaRow(tx, id);
        assert.deepEqual(await counts(tx as Database, 'saga_effects', id), { 'wait/action': 1, 'after/action': 1 });
      });
      // Within the transaction: both local steps done; at `last` (not local) the signalling runner
      // keeps the lease, to take the turn itself once the transaction commits.
      assert.deepEqual(
        { ...seen!, lease_token: seen!.lease_token !== null },
        {
          status: 'running',
          current_step: 'last',
          lease_token: true,
        },
      );
      const done = await statusIs(runner, id, 'completed');
      assert.deepEqual(done.data, { go: { n: 1 } });
      assert.deepEqual(await counts(db, 'saga_effects', id), { 'wait/action': 1, 'after/action': 1, 'last/action': 1 });
      assert.deepEqual(await counts(db, 'saga_attempts', id), {
        'wait/action': 1,
        'after/action': 1,
        'last/action': 1,
      });
      const consumed = await db.query(
        'SELECT 1 FROM chassis_saga_signals WHERE saga_id = $1 AND consumed_at IS NOT NULL',
        [id],
      );
      assert.equal(consumed.rowCount, 1);
    },
  );
});

test('a turn that fails in the signalling transaction is undone there and taken by a runner; the transaction still commits', async () => {
  let failures = 1;
  const failingOnce = (db: Database) =>
    [
      waitingSaga(db, {
        async onGo(ctx) {
          await ctx.tx.query("INSERT INTO saga_effects (saga_id, step, phase) VALUES ($1, 'doomed', 'action')", [
            ctx.sagaId,
          ]);
          if (failures-- > 0) throw new Error('the first try fails');
        },
      }),
    ] as const;
  await withRunner(failingOnce, async ({ db, runner, sagas: [saga] }) => {
    const id = await waiting(runner, db, saga);
    assert.equal(await deliver(runner, saga, db, id), true);
    await statusIs(runner, id, 'completed');
    // The failed try's write was undone; the runner's try wrote once; the inbox row committed.
    assert.deepEqual(await counts(db, 'saga_effects', id), {
      'doomed/action': 1,
      'wait/action': 1,
      'after/action': 1,
      'last/action': 1,
    });
    assert.equal((await db.query('SELECT 1 FROM chassis_inbox WHERE message_id = $1', [`go-${id}`])).rowCount, 1);
  });
});

test('a local step that calls another service is not run in the signalling transaction (nothing held across a call)', async () => {
  const calls: string[] = [];
  const call = (async (_contract: unknown, method: string) => {
    calls.push(method);
    return {};
  }) as unknown as Call;
  const calling = (db: Database) =>
    [
      waitingSaga(db, {
        async onGo(ctx) {
          await ctx.call({ service: 'other', rpc: {} } as never, 'ping' as never, {} as never);
        },
      }),
    ] as const;
  await withRunner(
    calling,
    async ({ db, runner, sagas: [saga] }) => {
      const id = await waiting(runner, db, saga);
      let seen: Awaited<ReturnType<typeof sagaRow>>;
      await deliver(runner, saga, db, id, async (tx) => {
        seen = await sagaRow(tx, id);
      });
      assert.deepEqual(seen!, { status: 'waiting', current_step: 'wait', lease_token: null });
      await statusIs(runner, id, 'completed');
      assert.deepEqual(calls, ['ping']);
      assert.deepEqual(await counts(db, 'saga_effects', id), { 'wait/action': 1, 'after/action': 1, 'last/action': 1 });
    },
    { call: () => call },
  );
});

for (const crashAt of ['before-commit', 'after-commit'] as const) {
  test(`SIGKILL ${crashAt.replace('-', ' ')} of the signalling transaction: the signal redelivered, each step's effect once`, async () => {
    const t = await testDatabase();
    const saga = waitingSaga(t.db);
    const runner = newRunner(t.db, [saga]);
    try {
      await runner.start();
      const id = await waiting(runner, t.db, saga);
      await runner.stop();
      const root = fileURLToPath(new URL('../../..', import.meta.url));
      const child = fileURLToPath(new URL('./saga/signal-crash-child.ts', import.meta.url));
      const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((resolve) => {
        let out = '';
        const p = spawn(process.execPath, ['--import', 'tsx', child], {
          cwd: root,
          stdio: ['ignore', 'pipe', 'inherit'],
          env: { ...process.env, SIGNAL_CRASH_DB_URL: t.url, SIGNAL_CRASH_AT: crashAt, SIGNAL_CRASH_SAGA: id },
        });
        p.stdout.on('data', (d: Buffer) => (out += d.toString()));
        p.on('exit', (code, signal) => resolve({ code, signal, out }));
      });
      assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: null, signal: 'SIGKILL' }, exit.out);
      assert.match(exit.out, /within: last/, 'the child took the turn within its transaction');

      // The broker redelivers what was not acknowledged; the inbox tells a handled message apart.
      const resumer = newRunner(t.db, [saga]);
      await resumer.start();
      try {
        assert.equal(await deliver(resumer, saga, t.db, id), crashAt === 'before-commit');
        await statusIs(resumer, id, 'completed');
      } finally {
        await resumer.stop();
      }
      assert.deepEqual(await counts(t.db, 'saga_effects', id), {
        'wait/action': 1,
        'after/action': 1,
        'last/action': 1,
      });
      // Before the commit, nothing of the child's turn survived: both local steps ran again.
      const again = crashAt === 'before-commit' ? 2 : 1;
      assert.deepEqual(await counts(t.db, 'saga_attempts', id), {
        'wait/action': again,
        'after/action': again,
        'last/action': 1,
      });
    } finally {
      await t.drop();
    }
  });
}
