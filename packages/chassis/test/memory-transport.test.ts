import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DeadlineExceededError,
  MemoryTransport,
  UnavailableError,
  type Delivery,
  type Settlement,
} from '../src/index.ts';

const ack: Settlement = { outcome: 'ack' };

async function connected(): Promise<MemoryTransport> {
  const t = new MemoryTransport();
  await t.connect();
  return t;
}

describe('memory transport', () => {
  it('answers an RPC through a serialized request and reply', async () => {
    const t = await connected();
    await t.serve('echo', async (body) => JSON.stringify({ got: JSON.parse(body) }), { concurrency: 4 });
    const reply = await t.request('echo', JSON.stringify({ n: 1 }), { timeoutMs: 1000 });
    assert.deepEqual(JSON.parse(reply), { got: { n: 1 } });
    await t.close();
  });

  it('fails fast with a clear error when no instance serves the service', async () => {
    const t = await connected();
    await assert.rejects(
      t.request('nobody', '{}', { timeoutMs: 60_000 }),
      (err: unknown) => err instanceof UnavailableError && err.code === 'no_route' && /nobody/.test(err.message),
    );
    await t.close();
  });

  it('gives up on an RPC after its timeout', async () => {
    const t = await connected();
    await t.serve('slow', () => new Promise(() => {}), { concurrency: 1 });
    await assert.rejects(t.request('slow', '{}', { timeoutMs: 30 }), DeadlineExceededError);
    await t.close();
  });

  it('delivers an event once to every subscribing service, and instances of one service compete', async () => {
    const t = await connected();
    const seen: string[] = [];
    const handler = (who: string) => async (d: Delivery) => {
      seen.push(`${who}:${JSON.parse(d.body).n}`);
      return ack;
    };
    const spec = (group: string) => ({
      group,
      name: 'prices',
      source: { kind: 'events' as const, types: ['market.PriceChanged.v1'] },
      prefetch: 1,
    });
    await t.subscribe(spec('holdings'), handler('holdings-1'));
    await t.subscribe(spec('holdings'), handler('holdings-2'));
    await t.subscribe(spec('notifications'), handler('notifications'));
    for (let n = 0; n < 10; n++)
      await t.publish({
        destination: { kind: 'event', type: 'market.PriceChanged.v1' },
        messageId: `m${n}`,
        body: JSON.stringify({ n }),
      });
    assert.equal(seen.filter((s) => s.startsWith('notifications:')).length, 10);
    const holdings = seen.filter((s) => s.startsWith('holdings-'));
    assert.equal(holdings.length, 10, 'each event once per service');
    assert.equal(new Set(holdings.map((s) => s.split(':')[1])).size, 10, 'no event twice within a service');
    assert.ok(
      holdings.some((s) => s.startsWith('holdings-1')) && holdings.some((s) => s.startsWith('holdings-2')),
      'both instances took work',
    );
    await t.close();
  });

  it('gives every instance its own copy of an event when it subscribes per instance, and its queue goes with it', async () => {
    const t = await connected();
    const seen: string[] = [];
    const spec = {
      group: 'gateway',
      name: 'watch',
      source: { kind: 'events' as const, types: ['orders.OrderStatusChanged.v1'] },
      prefetch: 8,
      perInstance: true,
    };
    const one = await t.subscribe(spec, async (d) => (seen.push(`1:${d.body}`), ack));
    await t.subscribe(spec, async (d) => (seen.push(`2:${d.body}`), ack));
    await t.publish({
      destination: { kind: 'event', type: 'orders.OrderStatusChanged.v1' },
      messageId: 'a',
      body: 'a',
    });
    assert.deepEqual(seen.sort(), ['1:a', '2:a']);
    await one.cancel();
    // The first instance is gone: its queue too, so the publish is confirmed by the other alone.
    await t.publish({
      destination: { kind: 'event', type: 'orders.OrderStatusChanged.v1' },
      messageId: 'b',
      body: 'b',
    });
    assert.deepEqual(seen.sort(), ['1:a', '2:a', '2:b']);
    assert.equal((await t.queueDepths()).filter((q) => q.queue.startsWith('gateway.watch')).length, 1);
    await t.close();
  });

  it('gives a command to exactly one consumer, and keeps it until a consumer exists', async () => {
    const t = await connected();
    const published = t.publish({
      destination: { kind: 'command', queue: 'market.PlaceOrder.v1' },
      messageId: 'c1',
      body: '{"n":1}',
    });
    const seen: string[] = [];
    await t.subscribe(
      { group: 'market', name: 'place', source: { kind: 'commands', queue: 'market.PlaceOrder.v1' }, prefetch: 4 },
      async (d) => (seen.push(`a${d.body}`), ack),
    );
    await t.subscribe(
      { group: 'market', name: 'place', source: { kind: 'commands', queue: 'market.PlaceOrder.v1' }, prefetch: 4 },
      async (d) => (seen.push(`b${d.body}`), ack),
    );
    await published;
    assert.equal(seen.length, 1);
    await t.close();
  });

  it('confirms a publish only after the consumer acknowledged, and redelivers what it asked to retry', async () => {
    const t = await connected();
    const attempts: number[] = [];
    await t.subscribe(
      { group: 'g', name: 's', source: { kind: 'events', types: ['x.Y.v1'] }, prefetch: 1 },
      async (d) => {
        attempts.push(d.attempt);
        return d.attempt < 3 ? { outcome: 'retry', delayMs: 5 } : ack;
      },
    );
    await t.publish({ destination: { kind: 'event', type: 'x.Y.v1' }, messageId: 'm', body: '{}' });
    assert.deepEqual(attempts, [1, 2, 3]);
    await t.close();
  });

  it('shares nothing by reference: the consumer gets its own parse of the text', async () => {
    const t = await connected();
    const original = { items: [1, 2] };
    let received: { items: number[] } | undefined;
    await t.subscribe(
      { group: 'g', name: 's', source: { kind: 'events', types: ['x.Y.v1'] }, prefetch: 1 },
      async (d) => {
        received = JSON.parse(d.body);
        return ack;
      },
    );
    await t.publish({ destination: { kind: 'event', type: 'x.Y.v1' }, messageId: 'm', body: JSON.stringify(original) });
    received!.items.push(3);
    assert.deepEqual(original.items, [1, 2]);
    await t.close();
  });

  it('rejects unconfirmed publishes on close instead of hanging', async () => {
    const t = await connected();
    await t.subscribe(
      { group: 'g', name: 's', source: { kind: 'events', types: ['x.Y.v1'] }, prefetch: 1 },
      async () => ({ outcome: 'retry', delayMs: 10_000 }),
    );
    const p = t.publish({ destination: { kind: 'event', type: 'x.Y.v1' }, messageId: 'm', body: '{}' });
    await new Promise((r) => setTimeout(r, 10));
    await t.close();
    await assert.rejects(p, UnavailableError);
  });
});
