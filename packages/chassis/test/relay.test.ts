/**
 * The outbox relay on a real database with a recording transport: order per aggregate key, marks
 * batched (never before the transport's confirm), a fallback poll that backs off when idle while
 * NOTIFY and wake() still send at once, and a stop that sends what is committed. No timing asserted:
 * counts of statements, and outcomes polled with `eventually`.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Database } from '../src/db/database.ts';
import { migrate, readMigrations } from '../src/db/migrations.ts';
import { OutboxRelay, type RelayOptions } from '../src/messaging/relay.ts';
import { createLogger } from '../src/observability/logger.ts';
import { createTestDatabase, eventually, type TestDatabase } from '../src/testing/index.ts';
import { MemoryTransport } from '../src/transport/memory.ts';
import type { OutgoingMessage, Transport } from '../src/transport/transport.ts';

let test: TestDatabase;
const log = createLogger({ service: 'relay-test', level: 'silent' });

before(async () => {
  test = await createTestDatabase('relay');
  await migrate(test.db, await readMigrations(fileURLToPath(new URL('../migrations', import.meta.url)), 'chassis'));
});
after(async () => {
  await test.drop();
});

/** A transport that records publishes and confirms them all together every few ms (as a broker's multiple ack). */
function recordingTransport(): {
  transport: Transport;
  sent: OutgoingMessage[];
  confirmedIds: Set<string>;
  stop(): void;
} {
  const sent: OutgoingMessage[] = [];
  const confirmedIds = new Set<string>();
  const waiting: Array<() => void> = [];
  const timer = setInterval(() => {
    for (const confirm of waiting.splice(0)) confirm();
  }, 3);
  const transport = {
    kind: 'recording',
    publish(message: OutgoingMessage): Promise<void> {
      sent.push(message);
      return new Promise<void>((resolve) => {
        waiting.push(() => {
          confirmedIds.add(message.messageId);
          resolve();
        });
      });
    },
  } as unknown as Transport;
  return { transport, sent, confirmedIds, stop: () => clearInterval(timer) };
}

/** The database as the relay sees it, counting its statements; `listen: false` loses every NOTIFY. */
function counted(db: Database, options: { listen?: boolean } = {}): { db: Database; statements: string[] } {
  const statements: string[] = [];
  const proxy = {
    pool: db.pool,
    connect: () => db.connect(),
    query: (sql: string, params?: readonly unknown[]) => {
      statements.push(sql.trim().split(/\s+/)[0]!.toUpperCase() + (/count\(\*\)/i.test(sql) ? ' count' : ''));
      return db.query(sql, params);
    },
    listen:
      options.listen === false
        ? async () => () => {}
        : (channel: string, fn: (payload: string) => void) => db.listen(channel, fn),
  } as unknown as Database;
  return { db: proxy, statements };
}

async function insertRows(n: number, keys: number, tag: string): Promise<void> {
  await test.db.query(
    `INSERT INTO chassis_outbox (message_id, kind, destination, aggregate_key, body)
     SELECT $1 || '-' || g, 'event', 'test.Happened.v1', $1 || '-key-' || (g % $2), '{"n":' || g || '}' FROM generate_series(1, $3) AS g`,
    [tag, keys, n],
  );
}

async function unpublished(tag: string): Promise<number> {
  const { rows } = await test.db.query<{ n: string }>(
    "SELECT count(*) AS n FROM chassis_outbox WHERE published_at IS NULL AND message_id LIKE $1 || '-%'",
    [tag],
  );
  return Number(rows[0]!.n);
}

function relay(db: Database, transport: Transport, options: RelayOptions = {}): OutboxRelay {
  return new OutboxRelay(db, transport, log, { pollIntervalMs: 50, ...options });
}

describe('outbox relay', () => {
  it('sends in order per aggregate key, marks rows only once confirmed, and in far fewer UPDATEs than rows', async () => {
    const t = recordingTransport();
    const { db, statements } = counted(test.db);
    await insertRows(400, 8, 'order');
    const r = relay(db, t.transport);
    await r.start();
    try {
      await eventually(async () => (await unpublished('order')) === 0);
      const mine = t.sent.filter((m) => m.messageId.startsWith('order-'));
      assert.equal(new Set(mine.map((m) => m.messageId)).size, 400, 'every row sent once');
      const byKey = new Map<number, number[]>();
      for (const m of mine) {
        const n = (JSON.parse(m.body) as { n: number }).n;
        byKey.set(n % 8, [...(byKey.get(n % 8) ?? []), n]);
      }
      for (const [key, ns] of byKey)
        assert.deepEqual(
          ns,
          [...ns].sort((a, b) => a - b),
          `key ${key} in order`,
        );
      const marked = await test.db.query<{ message_id: string }>(
        "SELECT message_id FROM chassis_outbox WHERE published_at IS NOT NULL AND message_id LIKE 'order-%'",
      );
      for (const { message_id } of marked.rows)
        assert.ok(t.confirmedIds.has(message_id), `${message_id} marked only after its confirm`);
      const updates = statements.filter((s) => s === 'UPDATE').length;
      assert.ok(updates > 0 && updates <= 400 / 4, `${updates} UPDATEs for 400 rows`);
    } finally {
      await r.stop();
      t.stop();
    }
  });

  it("in one process, an aggregate's next message is not held behind a slow consumer of the one before", async () => {
    // A read model that batches (lingers) must not delay the order's next command: in memory the
    // order is fixed once a message is in every queue, so the lane goes on; the mark waits for the ack.
    const transport = new MemoryTransport();
    await transport.connect();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const readModel: string[] = [];
    const worker: string[] = [];
    await transport.subscribe(
      { group: 'reporting', name: 'r', source: { kind: 'events', types: ['test.Happened.v1'] }, prefetch: 10 },
      async (d) => {
        readModel.push(d.body);
        await held;
        return { outcome: 'ack' };
      },
    );
    await transport.subscribe(
      { group: 'market', name: 'm', source: { kind: 'commands', queue: 'test.DoIt.v1' }, prefetch: 10 },
      async (d) => (worker.push(d.body), { outcome: 'ack' }),
    );
    await test.db.query(
      `INSERT INTO chassis_outbox (message_id, kind, destination, aggregate_key, body) VALUES
       ('held-1', 'event', 'test.Happened.v1', 'order-1', '{"n":1}'),
       ('held-2', 'command', 'test.DoIt.v1', 'order-1', '{"n":2}')`,
    );
    const r = relay(test.db, transport);
    await r.start();
    try {
      await eventually(() => worker.length === 1);
      assert.deepEqual(readModel, ['{"n":1}'], 'the read model still holds the first message');
      await eventually(async () => (await unpublished('held')) === 1);
      const left = await test.db.query<{ message_id: string }>(
        "SELECT message_id FROM chassis_outbox WHERE published_at IS NULL AND message_id LIKE 'held-%'",
      );
      assert.deepEqual(
        left.rows.map((row) => row.message_id),
        ['held-1'],
        'the held message is not marked before its ack',
      );
      release();
      await eventually(async () => (await unpublished('held')) === 0);
    } finally {
      release();
      await r.stop();
      await transport.close();
    }
  });

  it('backs off its fallback poll while idle, and writes nothing', async () => {
    const t = recordingTransport();
    const { db, statements } = counted(test.db);
    const r = relay(db, t.transport, { pollIntervalMs: 20, maxPollIntervalMs: 60_000 });
    await r.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      // A fixed 20 ms poll would have fetched about 75 times; doubling from 20 ms, about 7.
      const polls = statements.filter((s) => s === 'SELECT').length;
      assert.ok(polls <= 15, `${polls} fetches in 1.5 s of idling`);
      assert.deepEqual(
        statements.filter((s) => s !== 'SELECT'),
        ['DELETE'],
        'one purge at start, nothing else written',
      );
    } finally {
      await r.stop();
      t.stop();
    }
  });

  it('NOTIFY sends at once while the fallback poll is minutes away', async () => {
    const t = recordingTransport();
    const r = relay(test.db, t.transport, { pollIntervalMs: 60_000 });
    await r.start();
    try {
      await eventually(() => r.active);
      await insertRows(3, 1, 'notified');
      await eventually(async () => (await unpublished('notified')) === 0, { timeoutMs: 5000 });
    } finally {
      await r.stop();
      t.stop();
    }
  });

  it('a publish the transport never confirms is tried again, and the row is sent and marked', async () => {
    const t = recordingTransport();
    // The first publish of each message hangs for good (a confirm lost with its channel); later ones go through.
    const seen = new Set<string>();
    const hanging: Transport = {
      ...t.transport,
      publish: (message: OutgoingMessage) => {
        if (seen.has(message.messageId)) return t.transport.publish(message);
        seen.add(message.messageId);
        return new Promise<void>(() => {});
      },
    } as Transport;
    const r = relay(test.db, hanging, { publishTimeoutMs: 100 });
    await r.start();
    try {
      await insertRows(3, 2, 'hung');
      await eventually(async () => (await unpublished('hung')) === 0, { timeoutMs: 10_000 });
      assert.equal(new Set([...t.confirmedIds].filter((id) => id.startsWith('hung-'))).size, 3);
    } finally {
      await r.stop();
      t.stop();
    }
  });

  it('wake() sends at once when notifications are lost', async () => {
    const t = recordingTransport();
    const { db } = counted(test.db, { listen: false });
    const r = relay(db, t.transport, { pollIntervalMs: 60_000 });
    await r.start();
    try {
      await eventually(() => r.active);
      await insertRows(2, 1, 'woken');
      r.wake();
      await eventually(async () => (await unpublished('woken')) === 0, { timeoutMs: 5000 });
    } finally {
      await r.stop();
      t.stop();
    }
  });

  it('stop sends and marks what is committed, without counting the outbox', async () => {
    const t = recordingTransport();
    const { db, statements } = counted(test.db, { listen: false });
    const r = relay(db, t.transport, { pollIntervalMs: 60_000 });
    await r.start();
    await eventually(() => r.active);
    await insertRows(50, 5, 'stopping');
    await r.stop(10_000);
    t.stop();
    assert.equal(await unpublished('stopping'), 0);
    assert.ok(!statements.includes('SELECT count'), 'no count(*) loop');
  });
});
