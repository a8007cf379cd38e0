/**
 * The RabbitMQ transport on a real broker (`scripts/infra/rabbitmq.sh` starts one on loopback; the
 * URL comes from AMQP_URL). The same behaviour as the memory transport's tests, plus what only a
 * broker shows: unacknowledged deliveries survive their consumer going away, and the transport comes
 * back after the broker closes its connection. Every run uses names of its own (no old messages), and
 * deletes its queues at the end. No timing assertions: outcomes are polled with `eventually`.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import amqp from 'amqplib';
import {
  DeadlineExceededError,
  UnavailableError,
  systemContract,
  type Delivery,
  type Settlement,
  type SubscriptionSpec,
} from '@simplebank/chassis';
import { eventually, startTestSystem, stopPrivateServer, type TestSystem } from '@simplebank/chassis/testing';
import { RabbitMqTransport } from '@simplebank/chassis/rabbitmq';
import { auditService, ledgerContract, ledgerService } from '../../packages/chassis/test/fixtures/services.ts';
import { runVhost, type RunVhost } from './run-vhost.ts';

const run = randomBytes(4).toString('hex');
/** This run's own vhost when rabbitmqctl can make one, else the URL's (run-vhost.ts). */
let broker: RunVhost;
let amqpUrl: string;
const ack: Settlement = { outcome: 'ack' };
const open: RabbitMqTransport[] = [];
const queues = new Set<string>();

/** A name unique to this run (queues, groups, types, services). */
const u = (name: string) => `t${run}-${name}`;

async function connected(
  options: { name?: string; reconnect?: { baseMs?: number; capMs?: number; minMs?: number } } = {},
): Promise<RabbitMqTransport> {
  const t = new RabbitMqTransport({
    url: amqpUrl,
    connectionName: options.name ?? u('conn'),
    ...(options.reconnect ? { reconnect: options.reconnect } : {}),
  });
  await t.connect();
  open.push(t);
  return t;
}

function events(group: string, name: string, types: string[], prefetch = 1): SubscriptionSpec {
  const queue = `${group}.${name}`;
  queues.add(queue);
  return { group, name, source: { kind: 'events', types }, prefetch };
}

function commands(group: string, queue: string, prefetch = 4): SubscriptionSpec {
  queues.add(queue);
  return { group, name: 'jobs', source: { kind: 'commands', queue }, prefetch };
}

const execFileP = promisify(execFile);

/** Closes this test's connection from the broker side, as a broker restart or a network cut would. */
async function closeFromBroker(connectionName: string): Promise<void> {
  const { stdout } = await execFileP('rabbitmqctl', [
    'list_connections',
    'pid',
    'client_properties',
    '-q',
    '--no-table-headers',
  ]);
  const pids = stdout
    .split('\n')
    .filter((line) => line.includes(connectionName))
    .map((line) => line.split('\t')[0]!.trim())
    .filter(Boolean);
  assert.ok(pids.length > 0, `no broker connection named ${connectionName}`);
  for (const pid of pids) await execFileP('rabbitmqctl', ['close_connection', pid, 'test']);
}

before(async () => {
  broker = await runVhost(`simplebank-test-${run}`);
  amqpUrl = broker.url;
});

after(async () => {
  await Promise.allSettled(open.map((t) => t.close()));
  await stopPrivateServer();
  // On a shared vhost: this run's queues, and the RPC queues of its services (they would expire on their own after 30 minutes unused).
  const rpcQueues = ['echo', 'nobody', 'gone', 'old', 'slow', 'rc-echo', 'hangs'].map((service) => `rpc.${u(service)}`);
  await broker.drop([...queues, ...rpcQueues]);
});

describe('rabbitmq transport', () => {
  it('answers an RPC through a serialized request and reply', async () => {
    const t = await connected();
    const service = u('echo');
    await t.serve(service, async (body) => JSON.stringify({ got: JSON.parse(body) }), { concurrency: 4 });
    const reply = await t.request(service, JSON.stringify({ n: 1 }), { timeoutMs: 5000 });
    assert.deepEqual(JSON.parse(reply), { got: { n: 1 } });
    // Many at once, each matched to its own reply by correlation id.
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, n) => t.request(service, JSON.stringify({ n }), { timeoutMs: 5000 })),
    );
    assert.deepEqual(
      replies.map((r) => JSON.parse(r).got.n),
      Array.from({ length: 20 }, (_, n) => n),
    );
    // Another process (transport) reaches the same service through the broker.
    const other = await connected();
    assert.deepEqual(JSON.parse(await other.request(service, '{"n":2}', { timeoutMs: 5000 })), { got: { n: 2 } });
  });

  it('fails fast with a clear error when no instance serves the service', async () => {
    const t = await connected();
    const service = u('nobody');
    await assert.rejects(
      t.request(service, '{}', { timeoutMs: 60_000 }),
      (err: unknown) => err instanceof UnavailableError && err.code === 'no_route' && err.message.includes(service),
    );
    // A service whose only instance went away is as unreachable.
    const gone = u('gone');
    const c = await t.serve(gone, async () => '{}', { concurrency: 1 });
    await t.request(gone, '{}', { timeoutMs: 5000 });
    await c.cancel();
    await assert.rejects(
      t.request(gone, '{}', { timeoutMs: 60_000 }),
      (err: unknown) => err instanceof UnavailableError && err.code === 'no_route',
    );
  });

  it('serves on an RPC queue an older version left with other arguments (and no consumer)', async () => {
    const service = u('old');
    const c = await amqp.connect(amqpUrl);
    const ch = await c.createChannel();
    await ch.assertQueue(`rpc.${service}`, {
      durable: false,
      autoDelete: false,
      arguments: { 'x-expires': 30 * 60_000 },
    });
    await c.close();
    const t = await connected();
    const served = await t.serve(service, async (body) => body, { concurrency: 2 });
    assert.equal(await t.request(service, '{"v":2}', { timeoutMs: 5000 }), '{"v":2}');
    await served.cancel();
    await assert.rejects(
      t.request(service, '{}', { timeoutMs: 60_000 }),
      (err: unknown) => err instanceof UnavailableError && err.code === 'no_route',
    );
  });

  it('gives up on an RPC after its timeout', async () => {
    const t = await connected();
    const service = u('slow');
    const c = await t.serve(service, () => new Promise<string>((r) => setTimeout(() => r('{}'), 300)), {
      concurrency: 1,
    });
    await assert.rejects(t.request(service, '{}', { timeoutMs: 30 }), DeadlineExceededError);
    await c.cancel();
  });

  it('delivers an event once to every subscribing service, and instances of one service compete', async () => {
    const a = await connected();
    const b = await connected();
    const type = `${u('market')}.PriceChanged.v1`;
    const seen: string[] = [];
    const handler = (who: string) => async (d: Delivery) => {
      seen.push(`${who}:${JSON.parse(d.body).n}`);
      // Slow enough that one instance cannot take everything before the other asks.
      await new Promise((r) => setTimeout(r, 5));
      return ack;
    };
    const holdings = u('holdings');
    const notifications = u('notifications');
    await a.subscribe(events(holdings, 'prices', [type]), handler('holdings-1'));
    await b.subscribe(events(holdings, 'prices', [type]), handler('holdings-2'));
    await a.subscribe(events(notifications, 'prices', [type]), handler('notifications'));
    for (let n = 0; n < 40; n++)
      await a.publish({ destination: { kind: 'event', type }, messageId: `m${n}`, body: JSON.stringify({ n }) });
    await eventually(
      () =>
        seen.filter((s) => s.startsWith('notifications:')).length === 40 &&
        seen.filter((s) => s.startsWith('holdings-')).length >= 40,
      { message: `seen ${seen.length}` },
    );
    await new Promise((r) => setTimeout(r, 200)); // nothing more may come
    assert.equal(seen.filter((s) => s.startsWith('notifications:')).length, 40);
    const h = seen.filter((s) => s.startsWith('holdings-'));
    assert.equal(h.length, 40, 'each event once per service');
    assert.equal(new Set(h.map((s) => s.split(':')[1])).size, 40, 'no event twice within a service');
    assert.ok(
      h.some((s) => s.startsWith('holdings-1')) && h.some((s) => s.startsWith('holdings-2')),
      'both instances took work',
    );
  });

  it('gives every instance its own copy of an event when it subscribes per instance', async () => {
    const a = await connected();
    const b = await connected();
    const type = `${u('orders')}.OrderStatusChanged.v1`;
    const seen: string[] = [];
    const spec: SubscriptionSpec = {
      group: u('gateway'),
      name: 'watch',
      source: { kind: 'events', types: [type] },
      prefetch: 8,
      perInstance: true,
    };
    await a.subscribe(spec, async (d) => (seen.push(`a:${d.body}`), ack));
    await b.subscribe(spec, async (d) => (seen.push(`b:${d.body}`), ack));
    for (let n = 0; n < 5; n++)
      await a.publish({ destination: { kind: 'event', type }, messageId: `w${n}`, body: String(n) });
    await eventually(() => seen.length === 10, { message: `seen ${seen.join(' ')}` });
    assert.deepEqual(
      seen.filter((s) => s.startsWith('a:')).map((s) => s.slice(2)),
      ['0', '1', '2', '3', '4'],
    );
    assert.deepEqual(
      seen.filter((s) => s.startsWith('b:')).map((s) => s.slice(2)),
      ['0', '1', '2', '3', '4'],
    );
  });

  it('drops an event nobody subscribes to, and still confirms it', async () => {
    const t = await connected();
    await t.publish({ destination: { kind: 'event', type: `${u('nobody')}.Happened.v1` }, messageId: 'x', body: '{}' });
  });

  it('gives a command to exactly one consumer, and keeps it until a consumer exists', async () => {
    const t = await connected();
    const queue = `${u('market')}.PlaceOrder.v1`;
    queues.add(queue);
    await t.publish({ destination: { kind: 'command', queue }, messageId: 'c1', body: '{"n":1}' });
    const seen: string[] = [];
    const a = await connected();
    const b = await connected();
    await a.subscribe(commands(u('market'), queue), async (d) => (seen.push(`a${d.body}`), ack));
    await b.subscribe(commands(u('market'), queue), async (d) => (seen.push(`b${d.body}`), ack));
    await eventually(() => seen.length === 1);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(seen.length, 1);
  });

  it('redelivers what the handler asked to retry, with the attempt number, through the delay queues', async () => {
    const t = await connected();
    const type = `${u('x')}.Y.v1`;
    const attempts: number[] = [];
    await t.subscribe(events(u('g'), 'retry', [type]), async (d) => {
      attempts.push(d.attempt);
      return d.attempt < 3 ? { outcome: 'retry', delayMs: d.attempt === 1 ? 5 : 120 } : ack;
    });
    await t.publish({ destination: { kind: 'event', type }, messageId: 'm', body: '{}' });
    await eventually(() => attempts.length === 3);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(attempts, [1, 2, 3]);
  });

  it('a short retry is not held behind a long one', async () => {
    const t = await connected();
    const type = `${u('x')}.Z.v1`;
    const order: string[] = [];
    await t.subscribe(events(u('g'), 'buckets', [type], 4), async (d) => {
      const { id } = JSON.parse(d.body) as { id: string };
      if (d.attempt === 1) return { outcome: 'retry', delayMs: id === 'long' ? 30_000 : 10 };
      order.push(id);
      return ack;
    });
    await t.publish({ destination: { kind: 'event', type }, messageId: 'l', body: '{"id":"long"}' });
    await t.publish({ destination: { kind: 'event', type }, messageId: 's', body: '{"id":"short"}' });
    await eventually(() => order.includes('short'));
    assert.deepEqual(order, ['short']);
  });

  it('confirms a publish only once the broker holds it (persistent, in its queue)', async () => {
    const t = await connected();
    const queue = `${u('jobs')}.Confirmed.v1`;
    queues.add(queue);
    for (let n = 0; n < 5; n++)
      await t.publish({ destination: { kind: 'command', queue }, messageId: `c${n}`, body: `{"n":${n}}` });
    // Seen by another connection right after the confirms.
    const c = await amqp.connect(amqpUrl);
    const ch = await c.createChannel();
    const q = await ch.checkQueue(queue);
    assert.equal(q.messageCount, 5);
    const msg = await ch.get(queue);
    assert.ok(msg);
    assert.equal(msg.properties.deliveryMode, 2, 'persistent');
    assert.equal(msg.properties.messageId, 'c0');
    await c.close();
  });

  it('rejects publishes once closed, and close is idempotent', async () => {
    const t = await connected();
    await t.close();
    await t.close();
    assert.equal(t.health().ready, false);
    await assert.rejects(
      t.publish({ destination: { kind: 'event', type: 'x.Y.v1' }, messageId: 'm', body: '{}' }),
      UnavailableError,
    );
    await assert.rejects(t.request('anything', '{}', { timeoutMs: 1000 }), UnavailableError);
  });

  it('fails to connect with an error naming the broker, not its password', async () => {
    const t = new RabbitMqTransport({ url: 'amqp://guest:s3cret@127.0.0.1:1' });
    await assert.rejects(
      t.connect(),
      (err: unknown) =>
        err instanceof UnavailableError && err.message.includes('127.0.0.1:1') && !err.message.includes('s3cret'),
    );
    await t.close();
  });

  it('close waits for deliveries in flight, which are acknowledged', async () => {
    const t = await connected();
    const queue = `${u('jobs')}.Slow.v1`;
    let finished = 0;
    let started = 0;
    await t.subscribe(commands(u('slowpoke'), queue, 1), async () => {
      started++;
      await new Promise((r) => setTimeout(r, 200));
      finished++;
      return ack;
    });
    await t.publish({ destination: { kind: 'command', queue }, messageId: 'c', body: '{}' });
    await eventually(() => started === 1);
    await t.close();
    assert.equal(finished, 1);
    const c = await amqp.connect(amqpUrl);
    const ch = await c.createChannel();
    assert.equal((await ch.checkQueue(queue)).messageCount, 0, 'acknowledged before the channel closed');
    await c.close();
  });

  it('redelivers a delivery its consumer never acknowledged to another consumer, once the first goes away', async () => {
    const name = u('dies');
    // No reconnect within the test: this "process" is gone for good.
    const dying = await connected({ name, reconnect: { minMs: 60_000 } });
    const survivor = await connected();
    const queue = `${u('jobs')}.Survive.v1`;
    let release!: (s: Settlement) => void;
    const hang = new Promise<Settlement>((r) => (release = r));
    let dyingGot = 0;
    await dying.subscribe(commands(u('survivor'), queue, 1), async () => (dyingGot++, hang));
    await dying.publish({ destination: { kind: 'command', queue }, messageId: 'c', body: '{"keep":true}' });
    await eventually(() => dyingGot === 1);
    const got: Delivery[] = [];
    await survivor.subscribe(commands(u('survivor'), queue, 1), async (d) => (got.push(d), ack));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(got.length, 0, 'held, unacknowledged, by the first consumer');
    await closeFromBroker(name);
    await eventually(() => got.length === 1, { message: 'redelivered to the other consumer' });
    assert.equal(JSON.parse(got[0]!.body).keep, true);
    release(ack); // the late ack goes to a dead channel: ignored
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(got.length, 1);
  });

  it('comes back after the broker closes its connection: health false, then true, and subscriptions keep receiving', async () => {
    const name = u('reconnecting');
    const t = await connected({ name, reconnect: { baseMs: 200, capMs: 2000, minMs: 1000 } });
    const type = `${u('market')}.Reconnect.v1`;
    const got: number[] = [];
    await t.subscribe(events(u('rc'), 'events', [type], 4), async (d) => (got.push(JSON.parse(d.body).n), ack));
    const service = u('rc-echo');
    await t.serve(service, async (b) => b, { concurrency: 2 });
    await t.publish({ destination: { kind: 'event', type }, messageId: 'a', body: '{"n":1}' });
    await eventually(() => got.includes(1));
    assert.equal(t.health().ready, true);

    await closeFromBroker(name);
    const down = await eventually(() => (t.health().ready ? undefined : t.health()));
    assert.match(down.detail ?? '', /reconnecting|unavailable|connecting/);
    // While away: publishes and requests fail at once (the outbox relay retries them).
    await assert.rejects(
      t.publish({ destination: { kind: 'event', type }, messageId: 'b', body: '{"n":2}' }),
      UnavailableError,
    );
    await assert.rejects(t.request(service, '{}', { timeoutMs: 1000 }), UnavailableError);

    await eventually(() => t.health().ready, { message: 'reconnected' });
    await t.publish({ destination: { kind: 'event', type }, messageId: 'c', body: '{"n":3}' });
    await eventually(() => got.includes(3), { message: 'the subscription receives after the reconnect' });
    // Published by another connection too, and the RPC endpoint serves again.
    const other = await connected();
    await other.publish({ destination: { kind: 'event', type }, messageId: 'd', body: '{"n":4}' });
    await eventually(() => got.includes(4));
    assert.equal(await other.request(service, '{"x":1}', { timeoutMs: 5000 }), '{"x":1}');
  });

  it('fails pending requests with UnavailableError when the connection goes away', async () => {
    const name = u('pending');
    const caller = await connected({ name, reconnect: { minMs: 500 } });
    const server = await connected();
    const service = u('hangs');
    let release!: (reply: string) => void;
    let started = false;
    await server.serve(service, () => ((started = true), new Promise<string>((r) => (release = r))), {
      concurrency: 1,
    });
    const pending = caller.request(service, '{}', { timeoutMs: 60_000 });
    const outcome = pending.then(
      () => 'answered',
      (err: unknown) => err,
    ); // it fails while we close
    await eventually(() => started);
    await closeFromBroker(name);
    assert.ok((await outcome) instanceof UnavailableError);
    release('{}');
  });
});

describe('the chassis messaging path on rabbitmq', () => {
  let system: TestSystem;

  it('an event is handled once (duplicates and lost acks change nothing), retried while failing, dead-lettered after maxAttempts, replayed', async () => {
    // Fixture services have fixed names (ledger, audit): this run's vhost keeps them apart from other runs'.
    system = await startTestSystem([ledgerService, auditService], {
      transport: new RabbitMqTransport({ url: amqpUrl, connectionName: u('system') }),
      hostOptions: { maxAttempts: 4 },
    });
    try {
      const rows = async (account: string) => {
        const { rows: r } = await system.databases
          .get('audit')!
          .db.query<{ n: string }>('SELECT count(*) AS n FROM audit_log WHERE account = $1', [account]);
        return Number(r[0]!.n);
      };
      const plain = u('plain');
      const r = await system.call(
        ledgerContract,
        'post',
        { account: plain, cents: 500 },
        { idempotencyKey: u('plain-1') },
      );
      assert.equal(r.balance, 500);
      await eventually(async () => (await rows(plain)) === 1);

      const dup = u('dup');
      system.transport.inject({ type: ledgerContract.events.Posted.type, fault: { kind: 'duplicate' }, times: 1 });
      await system.call(ledgerContract, 'post', { account: dup, cents: 100 }, { idempotencyKey: u('dup-1') });
      await eventually(async () => (await rows(dup)) === 1);
      await eventually(() => system.transport.fired.some((f) => f.fault === 'duplicate'));
      await new Promise((res) => setTimeout(res, 200));
      assert.equal(await rows(dup), 1);

      // A lost acknowledgement (redelivered through a delay queue) changes nothing either.
      const lost = u('lost');
      system.transport.inject({
        type: ledgerContract.events.Posted.type,
        fault: { kind: 'drop-then-redeliver' },
        times: 1,
      });
      await system.call(ledgerContract, 'post', { account: lost, cents: 100 }, { idempotencyKey: u('lost-1') });
      await eventually(async () => (await rows(lost)) === 1);

      // A handler failing for a while is retried until it succeeds.
      const flaky = u('flaky');
      await system.databases
        .get('audit')!
        .db.query('INSERT INTO fail_next (account, remaining) VALUES ($1, 2)', [flaky]);
      await system.call(ledgerContract, 'post', { account: flaky, cents: 100 }, { idempotencyKey: u('flaky-1') });
      await eventually(async () => (await rows(flaky)) === 1);

      // One that keeps failing ends in the chassis dead-letter store after maxAttempts (4) deliveries,
      // while the queue keeps moving; once fixed, a replay handles it.
      const broken = u('broken');
      const healthy = u('healthy');
      await system.databases
        .get('audit')!
        .db.query('INSERT INTO fail_next (account, remaining) VALUES ($1, 100)', [broken]);
      await system.call(ledgerContract, 'post', { account: broken, cents: 100 }, { idempotencyKey: u('broken-1') });
      await system.call(ledgerContract, 'post', { account: healthy, cents: 100 }, { idempotencyKey: u('healthy-1') });
      await eventually(async () => (await rows(healthy)) === 1);
      const letter = await eventually(async () =>
        (await system.call(systemContract('audit'), '_deadLetters', {})).items.find((l) =>
          l.reason.includes('audit store unavailable'),
        ),
      );
      assert.equal(letter.attempts, 4, 'dead after the maximum attempts (the x-attempt header counted them)');
      await system.databases.get('audit')!.db.query('UPDATE fail_next SET remaining = 0 WHERE account = $1', [broken]);
      const replayed = await system.call(systemContract('audit'), '_replayDeadLetter', { id: letter.id });
      assert.equal(replayed.outcome, 'handled');
      assert.equal(await rows(broken), 1);
    } finally {
      await system.stop({ drop: true });
    }
  });
});
