/** Graceful shutdown loses no acknowledged work: every acknowledged call's effects, and their events, survive. */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { AppError } from '../src/index.ts';
import { eventually, startTestSystem, type TestDatabase } from '../src/testing/index.ts';
import { auditService, ledgerContract, ledgerService } from './fixtures/services.ts';

let databases: Map<string, TestDatabase> | undefined;
after(async () => {
  for (const d of databases?.values() ?? []) await d.drop();
});

it('graceful shutdown loses no acknowledged work', async () => {
  const first = await startTestSystem([ledgerService, auditService]);
  databases = first.databases;
  // Slow consumers, so there is work in flight when the drain starts.
  first.transport.inject({ type: ledgerContract.events.Posted.type, fault: { kind: 'delay', ms: 30 } });
  const calls = Array.from({ length: 60 }, (_, i) =>
    first.call(ledgerContract, 'post', { account: 'drain', cents: 1 }, { idempotencyKey: `drain-${i}` }).then(
      () => 'acknowledged' as const,
      (err: unknown) => {
        if (err instanceof AppError && err.status === 503) return 'refused' as const;
        throw err;
      },
    ),
  );
  await new Promise((r) => setTimeout(r, 20));
  const stopping = first.stop();
  const outcomes = await Promise.all(calls);
  await stopping;
  const acknowledged = outcomes.filter((o) => o === 'acknowledged').length;
  assert.ok(acknowledged > 0, 'some calls were acknowledged before the drain');

  const ledger = databases.get('ledger')!.db;
  const entries = Number(
    (await ledger.query<{ n: string }>("SELECT count(*) AS n FROM entries WHERE account = 'drain'")).rows[0]!.n,
  );
  assert.equal(entries, acknowledged, 'every acknowledged call is committed, and nothing else');

  // Whatever was committed reaches its consumer, now or after the restart.
  const second = await startTestSystem([ledgerService, auditService], { databases });
  try {
    const audit = databases.get('audit')!.db;
    const handled = async () =>
      Number(
        (await audit.query<{ n: string }>("SELECT count(*) AS n FROM audit_log WHERE account = 'drain'")).rows[0]!.n,
      );
    await eventually(async () => (await handled()) === entries, {
      message: `events handled after restart: expected ${entries}`,
    }).catch(async (err: Error) => {
      const outbox = await ledger.query(
        'SELECT id, published_at IS NOT NULL AS published, attempts FROM chassis_outbox ORDER BY id',
      );
      const dead = await audit.query('SELECT reason FROM chassis_dead_letters');
      throw new Error(
        `${err.message}; handled ${await handled()}; outbox ${JSON.stringify(outbox.rows)}; dead letters ${JSON.stringify(dead.rows)}`,
      );
    });
    const dupes = await audit.query(
      "SELECT entry_id FROM audit_log WHERE account = 'drain' GROUP BY entry_id HAVING count(*) > 1",
    );
    assert.equal(dupes.rowCount, 0, 'no event handled twice');
  } finally {
    await second.stop();
  }
});
