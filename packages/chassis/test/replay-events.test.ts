/**
 * A publisher's events are replayable (`_replayEvents`): its outbox keeps what it published, and
 * publishes it again on request — what a new read model needs to get its history. Subscribers that
 * handled an event already ignore the copy (their inbox).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { systemContract } from '../src/index.ts';
import { eventually, startTestSystem, type TestSystem } from '../src/testing/index.ts';
import { auditService, ledgerContract, ledgerService } from './fixtures/services.ts';

let system: TestSystem;
before(async () => {
  system = await startTestSystem([ledgerService, auditService]);
});
after(async () => {
  await system.stop({ drop: true });
});

const audit = () => system.databases.get('audit')!.db;
async function auditRows(prefix: string): Promise<number> {
  const { rows } = await audit().query<{ n: string }>('SELECT count(*) AS n FROM audit_log WHERE account LIKE $1', [
    `${prefix}%`,
  ]);
  return Number(rows[0]!.n);
}

async function unpublished(): Promise<number> {
  const { rows } = await system.databases
    .get('ledger')!
    .db.query<{ n: string }>("SELECT count(*) AS n FROM chassis_outbox WHERE kind = 'event' AND published_at IS NULL");
  return Number(rows[0]!.n);
}

describe('replaying published events', () => {
  it('gives a read model that lost its history the events again, in pages; a second replay changes nothing', async () => {
    const since = new Date().toISOString();
    // Twelve: their outbox ids cross from one digit to two (pages order by number, not text).
    for (let i = 0; i < 12; i++)
      await system.call(
        ledgerContract,
        'post',
        { account: `replay-${i}`, cents: 100 + i },
        { idempotencyKey: `replay-${i}` },
      );
    await eventually(async () => (await auditRows('replay-')) === 12);
    // Replay offers what the relay has marked published; a subscriber can apply an event before that mark.
    await eventually(async () => (await unpublished()) === 0, { message: 'the relay marked the events published' });

    // A new read model: audit forgets what it applied, and that it applied it.
    await audit().query("DELETE FROM audit_log WHERE account LIKE 'replay-%'");
    await audit().query('DELETE FROM chassis_inbox');
    const ledger = systemContract('ledger');
    let cursor: string | undefined;
    let replayed = 0;
    do {
      const page = await system.call(ledger, '_replayEvents', {
        types: [ledgerContract.events.Posted.type],
        since,
        limit: 5,
        ...(cursor ? { cursor } : {}),
      });
      assert.ok(page.retainedSince && page.retainedSince <= new Date().toISOString());
      replayed += page.replayed;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    assert.equal(replayed, 12, 'each event once');
    await eventually(async () => (await auditRows('replay-')) === 12, { message: 'the history applied again' });
    const { rows } = await audit().query<{ cents: number }>(
      "SELECT cents FROM audit_log WHERE account LIKE 'replay-%' ORDER BY cents",
    );
    assert.deepEqual(
      rows.map((r) => Number(r.cents)),
      Array.from({ length: 12 }, (_, i) => 100 + i),
    );

    // Replayed again: the inbox has them all; nothing changes.
    const again = await system.call(ledger, '_replayEvents', { types: [ledgerContract.events.Posted.type], since });
    assert.equal(again.replayed, 12);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await auditRows('replay-'), 12);
  });

  it('replays nothing from before `since`, and refuses a request without types', async () => {
    const r = await system.call(systemContract('ledger'), '_replayEvents', {
      types: [ledgerContract.events.Posted.type],
      since: new Date(Date.now() + 60_000).toISOString(),
    });
    assert.equal(r.replayed, 0);
    assert.equal(r.nextCursor, null);
    await assert.rejects(
      system.call(systemContract('ledger'), '_replayEvents', { types: [], since: new Date().toISOString() }),
    );
  });
});

describe('the outbox retention (SIMPLEBANK_OUTBOX_RETENTION_HOURS)', () => {
  it('purges published events older than the setting, and keeps the younger ones', async () => {
    const first = await startTestSystem([ledgerService]);
    const ledgerDb = () => first.databases.get('ledger')!.db;
    for (let i = 0; i < 3; i++)
      await first.call(ledgerContract, 'post', { account: `kept-${i}`, cents: 1 }, { idempotencyKey: `kept-${i}` });
    await eventually(
      async () =>
        Number(
          (await ledgerDb().query<{ n: string }>('SELECT count(*) AS n FROM chassis_outbox WHERE published_at IS NULL'))
            .rows[0]!.n,
        ) === 0,
    );
    // Two published 3 hours ago, one 1 hour ago.
    await ledgerDb().query(
      "UPDATE chassis_outbox SET published_at = clock_timestamp() - interval '3 hours' WHERE id IN (SELECT id FROM chassis_outbox ORDER BY id LIMIT 2)",
    );
    await ledgerDb().query(
      "UPDATE chassis_outbox SET published_at = clock_timestamp() - interval '1 hour' WHERE published_at > clock_timestamp() - interval '2 hours'",
    );
    await first.stop();

    // A relay purges on its first cycle after a start.
    const second = await startTestSystem([ledgerService], {
      databases: first.databases,
      environment: { ...process.env, SIMPLEBANK_OUTBOX_RETENTION_HOURS: '2' },
    });
    try {
      const left = async () =>
        Number(
          (await second.databases.get('ledger')!.db.query<{ n: string }>('SELECT count(*) AS n FROM chassis_outbox'))
            .rows[0]!.n,
        );
      await eventually(async () => (await left()) === 1, {
        message: 'the rows older than 2 hours purged, the younger kept',
      });
    } finally {
      await second.stop({ drop: true });
    }
  });
});
