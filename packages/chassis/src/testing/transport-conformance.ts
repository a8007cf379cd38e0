/**
 * One conformance suite for every Transport (transport/transport.ts): the same cases run against the
 * memory transport (`npm test`) and the RabbitMQ transport (the distributed suite). Where the two
 * legitimately differ, the target says how it behaves and the case checks that behaviour, named in
 * the case's title — nothing is skipped.
 *
 * The one difference today: when `publish` resolves. The memory transport confirms once every
 * consumer acknowledged (decision 3: the outbox row stays unpublished until then, so a crash loses
 * nothing); a broker confirms once it holds the message (publisher confirm). Everything else — RPC,
 * no_route, fan-out, competing consumers, attempts counted for the chassis's dead-letter rule, FIFO
 * for one consumer, prefetch and concurrency bounds, close — is the same.
 *
 * ```ts
 * transportConformance('memory', { open: async () => connected(new MemoryTransport()), peer: async (t) => t, confirms: 'on-acknowledgement' });
 * ```
 * No timing assertions: outcomes are polled (`eventually`); a short pause (`quiet`) only lets stray
 * deliveries arrive before counting that none did.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import { DeadlineExceededError, UnavailableError } from '../errors.ts';
import type { Delivery, OutgoingMessage, Settlement, SubscriptionSpec, Transport } from '../transport/transport.ts';
import { eventually } from './harness.ts';

export interface TransportUnderTest {
  /** A new system with one connected transport (memory: a new transport; a broker: a new connection, names kept apart by the suite). */
  open(): Promise<Transport>;
  /**
   * The transport of another instance on the same system as `t`: a broker's is a new connection;
   * the memory transport's is `t` itself (one process).
   */
  peer(t: Transport): Promise<Transport>;
  /**
   * When `publish` resolves: `on-acknowledgement` — once every consumer acknowledged it (the memory
   * transport, decision 3); `on-receipt` — once the broker holds it (a publisher confirm).
   */
  confirms: 'on-acknowledgement' | 'on-receipt';
  /** Called with every queue name the suite used, after each case (a broker without a vhost of its own deletes them). */
  forget?(queues: string[]): Promise<void>;
}

const ack: Settlement = { outcome: 'ack' };

/** A promise the test resolves. */
function gate<T = void>(): { promise: Promise<T>; open(value: T): void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

/** Lets stray deliveries arrive before the test counts that none did (never an assertion on time). */
const quiet = (ms = 150) => new Promise((r) => setTimeout(r, ms));

export function transportConformance(label: string, target: TransportUnderTest): void {
  const run = randomBytes(3).toString('hex');
  /** A name unique to this run (types, queues, services). */
  const u = (name: string) => `c${run}-${name}`;
  const open: Transport[] = [];
  const queues: string[] = [];

  const system = async () => {
    const t = await target.open();
    open.push(t);
    return t;
  };
  const peer = async (t: Transport) => {
    const p = await target.peer(t);
    if (!open.includes(p)) open.push(p);
    return p;
  };
  const events = (
    group: string,
    name: string,
    types: string[],
    prefetch = 1,
    extra: Partial<SubscriptionSpec> = {},
  ): SubscriptionSpec => {
    queues.push(`${group}.${name}`);
    return { group, name, source: { kind: 'events', types }, prefetch, ...extra };
  };
  const commands = (group: string, queue: string, prefetch = 1): SubscriptionSpec => {
    queues.push(queue);
    return { group, name: 'jobs', source: { kind: 'commands', queue }, prefetch };
  };
  const event = (type: string, id: string, body: unknown): OutgoingMessage => ({
    destination: { kind: 'event', type },
    messageId: id,
    body: JSON.stringify(body),
  });
  /**
   * Publishes without waiting for the confirm (which, on the memory transport, waits for the
   * consumers); the returned promise is the confirm, already guarded against an unhandled rejection.
   */
  const publish = (t: Transport, message: OutgoingMessage): Promise<void> => {
    const p = t.publish(message);
    p.catch(() => {});
    return p;
  };

  // A case that hangs (a confirm or a reply that never comes) fails the suite instead of stalling it.
  describe(`transport conformance: ${label}`, { timeout: 120_000 }, () => {
    afterEach(async () => {
      await Promise.allSettled(open.splice(0).map((t) => t.close()));
      if (target.forget) await target.forget(queues.splice(0));
    });

    describe('RPC', () => {
      it('answers a request with its reply, many at once each with its own, and from another instance', async () => {
        const t = await system();
        const service = u('echo');
        await t.serve(service, async (body) => JSON.stringify({ got: JSON.parse(body) }), { concurrency: 4 });
        assert.deepEqual(JSON.parse(await t.request(service, '{"n":1}', { timeoutMs: 5000 })), { got: { n: 1 } });
        const replies = await Promise.all(
          Array.from({ length: 20 }, (_, n) => t.request(service, JSON.stringify({ n }), { timeoutMs: 5000 })),
        );
        assert.deepEqual(
          replies.map((r) => JSON.parse(r).got.n),
          Array.from({ length: 20 }, (_, n) => n),
        );
        const other = await peer(t);
        assert.deepEqual(JSON.parse(await other.request(service, '{"n":2}', { timeoutMs: 5000 })), { got: { n: 2 } });
      });

      it('fails at once with no_route when no instance serves the service, or its last one went away', async () => {
        const t = await system();
        const nobody = u('nobody');
        await assert.rejects(
          t.request(nobody, '{}', { timeoutMs: 60_000 }),
          (e: unknown) => e instanceof UnavailableError && e.code === 'no_route' && e.message.includes(nobody),
        );
        const gone = u('gone');
        const served = await t.serve(gone, async () => '{}', { concurrency: 1 });
        assert.equal(await t.request(gone, '{}', { timeoutMs: 5000 }), '{}');
        await served.cancel();
        await assert.rejects(
          t.request(gone, '{}', { timeoutMs: 60_000 }),
          (e: unknown) => e instanceof UnavailableError && e.code === 'no_route',
        );
      });

      it('gives up after the timeout with DeadlineExceededError', async () => {
        const t = await system();
        const service = u('slow');
        const release = gate<string>();
        const served = await t.serve(service, () => release.promise, { concurrency: 1 });
        await assert.rejects(t.request(service, '{}', { timeoutMs: 50 }), DeadlineExceededError);
        release.open('{}');
        await served.cancel();
      });

      it('serves at most `concurrency` requests of one instance at once; the others wait their turn', async () => {
        const t = await system();
        const service = u('bounded');
        const release = gate();
        let inFlight = 0;
        let most = 0;
        await t.serve(
          service,
          async (body) => {
            most = Math.max(most, ++inFlight);
            await release.promise;
            inFlight--;
            return body;
          },
          { concurrency: 2 },
        );
        const replies = Promise.all(
          Array.from({ length: 5 }, (_, n) => t.request(service, String(n), { timeoutMs: 20_000 })),
        );
        await eventually(() => inFlight === 2, { message: 'two requests being served' });
        await quiet();
        assert.equal(most, 2);
        release.open();
        assert.deepEqual(await replies, ['0', '1', '2', '3', '4']);
        assert.equal(most, 2);
      });
    });

    describe('events and commands', () => {
      it('delivers an event once to every subscribing service; instances of one service compete for it', async () => {
        const a = await system();
        const b = await peer(a);
        const type = `${u('market')}.PriceChanged.v1`;
        const seen: string[] = [];
        const secondGotOne = gate();
        // The first instance holds its first delivery until the second has one: both take work, whatever the order.
        await a.subscribe(events(u('holdings'), 'prices', [type]), async (d: Delivery) => {
          seen.push(`holdings-1:${JSON.parse(d.body).n}`);
          await secondGotOne.promise;
          return ack;
        });
        await b.subscribe(events(u('holdings'), 'prices', [type]), async (d) => {
          seen.push(`holdings-2:${JSON.parse(d.body).n}`);
          secondGotOne.open();
          return ack;
        });
        await a.subscribe(
          events(u('notifications'), 'prices', [type]),
          async (d) => (seen.push(`notifications:${JSON.parse(d.body).n}`), ack),
        );
        const confirms = Array.from({ length: 20 }, (_, n) => publish(a, event(type, `m${n}`, { n })));
        await Promise.all(confirms);
        await eventually(
          () =>
            seen.filter((s) => s.startsWith('notifications:')).length === 20 &&
            seen.filter((s) => s.startsWith('holdings-')).length >= 20,
          { message: `seen ${seen.length}` },
        );
        await quiet();
        assert.equal(seen.filter((s) => s.startsWith('notifications:')).length, 20);
        const holdings = seen.filter((s) => s.startsWith('holdings-'));
        assert.equal(holdings.length, 20, 'each event once per service');
        assert.equal(new Set(holdings.map((s) => s.split(':')[1])).size, 20, 'no event twice within a service');
        assert.ok(
          holdings.some((s) => s.startsWith('holdings-1')) && holdings.some((s) => s.startsWith('holdings-2')),
          'both instances took work',
        );
      });

      it('gives every instance its own copy of an event it subscribes to per instance', async () => {
        const a = await system();
        const b = await peer(a);
        const type = `${u('orders')}.StatusChanged.v1`;
        const seen: string[] = [];
        const spec = {
          group: u('gateway'),
          name: 'watch',
          source: { kind: 'events' as const, types: [type] },
          prefetch: 8,
          perInstance: true,
        };
        await a.subscribe(spec, async (d) => (seen.push(`a:${d.body}`), ack));
        await b.subscribe(spec, async (d) => (seen.push(`b:${d.body}`), ack));
        await Promise.all([0, 1, 2].map((n) => publish(a, event(type, `w${n}`, n))));
        await eventually(() => seen.length === 6, { message: `seen ${seen.join(' ')}` });
        assert.deepEqual(seen.filter((s) => s.startsWith('a:')).sort(), ['a:0', 'a:1', 'a:2']);
        assert.deepEqual(seen.filter((s) => s.startsWith('b:')).sort(), ['b:0', 'b:1', 'b:2']);
      });

      it('drops an event nobody subscribes to, and confirms it', async () => {
        const t = await system();
        await t.publish(event(`${u('nobody')}.Happened.v1`, 'x', {}));
      });

      it('gives a command to exactly one consumer, and keeps one sent before any consumer exists', async () => {
        const t = await system();
        const queue = `${u('market')}.PlaceOrder.v1`;
        const confirmed = publish(t, { destination: { kind: 'command', queue }, messageId: 'c1', body: '{"n":1}' });
        if (target.confirms === 'on-receipt') await confirmed; // the broker holds it for a consumer to come
        const seen: string[] = [];
        const other = await peer(t);
        await t.subscribe(commands(u('market'), queue, 4), async (d) => (seen.push(`a${d.body}`), ack));
        await other.subscribe(commands(u('market'), queue, 4), async (d) => (seen.push(`b${d.body}`), ack));
        await confirmed;
        await eventually(() => seen.length === 1);
        await quiet();
        assert.equal(seen.length, 1);
      });

      it('hands one consumer (prefetch 1) the messages of a queue in the order they were published', async () => {
        const t = await system();
        const type = `${u('ledger')}.Posted.v1`;
        const got: number[] = [];
        await t.subscribe(events(u('fifo'), 'posted', [type], 1), async (d) => (got.push(JSON.parse(d.body).n), ack));
        await Promise.all(Array.from({ length: 30 }, (_, n) => publish(t, event(type, `f${n}`, { n, key: 'acc-1' }))));
        await eventually(() => got.length === 30, { message: `got ${got.length}` });
        assert.deepEqual(
          got,
          Array.from({ length: 30 }, (_, n) => n),
        );
      });

      it('hands a consumer at most `prefetch` deliveries at once', async () => {
        const t = await system();
        const type = `${u('jobs')}.Bounded.v1`;
        const release = gate();
        let inFlight = 0;
        let most = 0;
        let done = 0;
        await t.subscribe(events(u('bounded'), 'jobs', [type], 3), async () => {
          most = Math.max(most, ++inFlight);
          await release.promise;
          inFlight--;
          done++;
          return ack;
        });
        const confirms = Array.from({ length: 10 }, (_, n) => publish(t, event(type, `b${n}`, { n })));
        await eventually(() => inFlight === 3, { message: 'three deliveries in flight' });
        await quiet();
        assert.equal(most, 3);
        release.open();
        await eventually(() => done === 10, { message: `handled ${done}` });
        await Promise.all(confirms);
        assert.equal(most, 3);
      });
    });

    describe('redelivery', () => {
      it('redelivers what the handler asked to retry, and a handler that threw, counting the attempts', async () => {
        const t = await system();
        const type = `${u('x')}.Retried.v1`;
        const attempts: string[] = [];
        await t.subscribe(events(u('retry'), 'x', [type], 1), async (d) => {
          const { id } = JSON.parse(d.body) as { id: string };
          attempts.push(`${id}:${d.attempt}`);
          if (id === 'throws' && d.attempt === 1) throw new Error('a fault in the handler');
          return d.attempt < 3 && id === 'retries' ? { outcome: 'retry', delayMs: d.attempt === 1 ? 5 : 60 } : ack;
        });
        await Promise.all([
          publish(t, event(type, 'r', { id: 'retries' })),
          publish(t, event(type, 't', { id: 'throws' })),
        ]);
        await eventually(() => attempts.includes('retries:3') && attempts.includes('throws:2'), {
          message: attempts.join(' '),
        });
        await quiet();
        assert.deepEqual(
          attempts.filter((a) => a.startsWith('retries:')),
          ['retries:1', 'retries:2', 'retries:3'],
        );
        assert.deepEqual(
          attempts.filter((a) => a.startsWith('throws:')),
          ['throws:1', 'throws:2'],
        );
      });

      it('carries the attempt number the chassis dead-letters by: acknowledged at maxAttempts, never delivered again', async () => {
        // The chassis's rule (runtime/consumer.ts): a failing message is redelivered until its attempt
        // reaches maxAttempts, then stored as a dead letter and acknowledged. The transport's part:
        // count every redelivery, and deliver nothing more once acknowledged.
        const t = await system();
        const type = `${u('x')}.Poison.v1`;
        const maxAttempts = 4;
        const attempts: number[] = [];
        const deadLetters: number[] = [];
        await t.subscribe(events(u('poison'), 'x', [type], 1), async (d) => {
          attempts.push(d.attempt);
          if (d.attempt >= maxAttempts) {
            deadLetters.push(d.attempt);
            return ack;
          }
          return { outcome: 'retry', delayMs: 10 };
        });
        await publish(t, event(type, 'p', {}));
        await eventually(() => deadLetters.length === 1);
        await quiet(300);
        assert.deepEqual(attempts, [1, 2, 3, 4]);
        assert.deepEqual(deadLetters, [4]);
      });

      it('does not hold a short retry behind a long one', async () => {
        const t = await system();
        const type = `${u('x')}.Delays.v1`;
        const handled: string[] = [];
        await t.subscribe(events(u('delays'), 'x', [type], 4), async (d) => {
          const { id } = JSON.parse(d.body) as { id: string };
          if (d.attempt === 1) return { outcome: 'retry', delayMs: id === 'long' ? 60_000 : 10 };
          handled.push(id);
          return ack;
        });
        publish(t, event(type, 'l', { id: 'long' }));
        const short = publish(t, event(type, 's', { id: 'short' }));
        await eventually(() => handled.includes('short'));
        await short;
        assert.deepEqual(handled, ['short']);
      });
    });

    describe('confirms', () => {
      it(
        target.confirms === 'on-acknowledgement'
          ? 'confirms a publish only once its consumer acknowledged it (a retry is no acknowledgement): decision 3'
          : 'confirms a publish once the broker holds it, whatever its consumer does with it',
        async () => {
          const t = await system();
          const queue = `${u('jobs')}.Confirm.v1`;
          const release = gate<Settlement>();
          const attempts: number[] = [];
          await t.subscribe(commands(u('confirm'), queue, 1), async (d) => {
            attempts.push(d.attempt);
            return d.attempt === 1 ? { outcome: 'retry', delayMs: 5 } : release.promise;
          });
          let confirmed = false;
          const confirm = publish(t, { destination: { kind: 'command', queue }, messageId: 'c', body: '{}' }).then(
            () => (confirmed = true),
          );
          if (target.confirms === 'on-receipt') {
            await confirm;
            await eventually(() => attempts.length === 2);
          } else {
            await eventually(() => attempts.length === 2);
            await quiet();
            assert.equal(confirmed, false, 'not confirmed while its consumer holds it unacknowledged');
          }
          release.open(ack);
          await confirm;
          assert.deepEqual(attempts, [1, 2]);
        },
      );
    });

    describe('close', () => {
      it('waits for the deliveries in flight, then refuses publishes and requests; a second close is harmless', async () => {
        const t = await system();
        const queue = `${u('jobs')}.Slow.v1`;
        const release = gate();
        const order: string[] = [];
        let started = 0;
        await t.subscribe(commands(u('slowpoke'), queue, 1), async () => {
          started++;
          await release.promise;
          order.push('handled');
          return ack;
        });
        publish(t, { destination: { kind: 'command', queue }, messageId: 'c', body: '{}' });
        await eventually(() => started === 1);
        const closed = t.close().then(() => order.push('closed'));
        await quiet();
        assert.deepEqual(order, [], 'close waits for the delivery in flight');
        release.open();
        await closed;
        assert.deepEqual(order, ['handled', 'closed']);
        assert.equal(t.health().ready, false);
        await assert.rejects(t.publish(event(`${u('x')}.Late.v1`, 'm', {})), UnavailableError);
        await assert.rejects(t.request(u('anything'), '{}', { timeoutMs: 1000 }), UnavailableError);
        await t.close();
      });

      it('fails the requests still waiting for a reply with UnavailableError when the caller closes', async () => {
        const server = await system();
        const caller = await peer(server);
        const service = u('hangs');
        const release = gate<string>();
        let started = false;
        await server.serve(service, () => ((started = true), release.promise), { concurrency: 1 });
        const outcome = caller.request(service, '{}', { timeoutMs: 60_000 }).then(
          () => 'answered',
          (err: unknown) => err,
        );
        await eventually(() => started);
        await caller.close();
        const err = await outcome;
        assert.ok(err instanceof UnavailableError, `got ${String(err)}`);
        release.open('{}');
      });

      it(
        target.confirms === 'on-acknowledgement'
          ? 'fails the publish of a message its consumer had not acknowledged when the transport closes (the outbox sends it again)'
          : 'keeps a message its consumer had not acknowledged when the consumer closes, for the next consumer',
        async () => {
          const t = await system();
          const queue = `${u('jobs')}.Unacked.v1`;
          let held = 0;
          await t.subscribe(commands(u('unacked'), queue, 1), async () => {
            held++;
            return { outcome: 'retry', delayMs: 200 };
          });
          const confirm = publish(t, {
            destination: { kind: 'command', queue },
            messageId: 'u',
            body: '{"keep":true}',
          });
          await eventually(() => held >= 1);
          if (target.confirms === 'on-acknowledgement') {
            await t.close();
            await assert.rejects(confirm, UnavailableError);
            return;
          }
          await confirm;
          await t.close();
          const next = await peer(t);
          const got: Delivery[] = [];
          await next.subscribe(commands(u('unacked'), queue, 1), async (d) => (got.push(d), ack));
          await eventually(() => got.length === 1, { message: 'the next consumer gets it' });
          assert.equal(JSON.parse(got[0]!.body).keep, true);
          assert.ok(got[0]!.attempt >= 2, 'as a redelivery');
        },
      );
    });
  });
}
