import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryTransport, Runtime, type Settlement } from '../src/index.ts';
import { createTestDatabase, type TestDatabase } from '../src/testing/index.ts';
import { auditService, ledgerService } from './fixtures/services.ts';

/** A handler that holds every delivery until `release()`. */
function blocking(): { handler: () => Promise<Settlement>; release: () => void; started: () => number } {
  let count = 0;
  const waiting: Array<() => void> = [];
  let released = false;
  return {
    handler: () => {
      count++;
      if (released) return Promise.resolve({ outcome: 'ack' });
      return new Promise<Settlement>((resolve) => waiting.push(() => resolve({ outcome: 'ack' })));
    },
    release: () => {
      released = true;
      for (const r of waiting.splice(0)) r();
    },
    started: () => count,
  };
}

const message = (n: number) => ({
  destination: { kind: 'event' as const, type: 'test.Blocked' },
  messageId: `m-${n}`,
  body: JSON.stringify({ n }),
});

describe('queue depth', () => {
  it('the memory transport reports ready, unacked and consumers per queue', async () => {
    const t = new MemoryTransport();
    await t.connect();
    const b = blocking();
    await t.subscribe(
      { group: 'audit', name: 'blocked', source: { kind: 'events', types: ['test.Blocked'] }, prefetch: 2 },
      b.handler,
    );
    await t.serve('ledger', async () => '{}', { concurrency: 4 });
    const published = [1, 2, 3, 4, 5].map((n) => t.publish(message(n)));
    const depths = await t.queueDepths();
    assert.deepEqual(
      depths.find((d) => d.queue === 'audit.blocked'),
      { queue: 'audit.blocked', ready: 3, unacked: 2, consumers: 1, group: 'audit' },
    );
    assert.deepEqual(
      depths.find((d) => d.queue === 'rpc.ledger'),
      { queue: 'rpc.ledger', ready: 0, unacked: 0, consumers: 1, group: 'ledger' },
    );
    b.release();
    await Promise.all(published);
    assert.deepEqual(
      (await t.queueDepths()).find((d) => d.queue === 'audit.blocked'),
      { queue: 'audit.blocked', ready: 0, unacked: 0, consumers: 1, group: 'audit' },
    );
    await t.close();
  });

  it('the runtime exports the gauges at scrape time, labelled by the consuming service', async () => {
    const databases = new Map<string, TestDatabase>();
    for (const d of [ledgerService, auditService])
      databases.set(d.contract.service, await createTestDatabase(d.contract.service));
    const transport = new MemoryTransport();
    const runtime = new Runtime({
      services: [ledgerService, auditService],
      transport,
      databaseUrlFor: (service) => databases.get(service)!.url,
      port: 0,
      logLevel: 'silent',
      drainTimeoutMs: 5000,
    });
    await runtime.start();
    const b = blocking();
    const published: Promise<void>[] = [];
    try {
      await transport.subscribe(
        { group: 'audit', name: 'blocked', source: { kind: 'events', types: ['test.Blocked'] }, prefetch: 1 },
        b.handler,
      );
      for (let n = 1; n <= 3; n++) published.push(transport.publish(message(n)));
      const { body } = await runtime.metrics.render();
      assert.match(body, /simplebank_queue_depth\{service="audit",queue="audit\.blocked"\} 2/);
      assert.match(body, /simplebank_queue_unacked\{service="audit",queue="audit\.blocked"\} 1/);
      assert.match(body, /simplebank_queue_consumers\{service="audit",queue="audit\.blocked"\} 1/);
      assert.match(body, /simplebank_queue_consumers\{service="ledger",queue="rpc\.ledger"\} 1/);
      assert.match(
        body,
        /simplebank_queue_depth\{service="audit",queue="audit\.[^"]+"\} 0/,
        "the services' own queues, empty",
      );
      b.release();
      await Promise.all(published);
      const after = (await runtime.metrics.render()).body;
      assert.match(after, /simplebank_queue_depth\{service="audit",queue="audit\.blocked"\} 0/);
      assert.match(after, /simplebank_queue_unacked\{service="audit",queue="audit\.blocked"\} 0/);
    } finally {
      b.release();
      await runtime.stop();
      for (const d of databases.values()) await d.drop();
    }
  });
});
