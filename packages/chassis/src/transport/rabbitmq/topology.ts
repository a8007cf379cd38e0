/**
 * The RabbitMQ topology of the chassis: names and declarations, in one place
 * (docs/rabbitmq-topology.md explains each choice).
 *
 * - events: one durable topic exchange; routing key = the event type; a durable queue per
 *   (service, subscription) `<group>.<name>`, bound to each of its types.
 * - commands: a durable queue named by the command (`destination.queue`), through the default exchange.
 * - RPC: a queue `rpc.<service>` per service (its registry entry and load balancer) that lives while
 *   an instance consumes it (auto-delete), replies by direct reply-to.
 * - retries: per consuming queue, a few delay queues `<queue>.delay.<ms>` whose messages expire after
 *   the bucket's TTL and dead-letter back to the queue through the default exchange.
 */
import { namespace } from '../../config/naming.ts';
import type { Channel } from 'amqplib';

/** The topic exchange every event is published to: `<namespace>.events`. */
export const eventsExchange = (): string => `${namespace()}.events`;
export const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';
/** The header carrying the delivery attempt (1 when absent), incremented on every `retry` settlement. */
export const ATTEMPT_HEADER = 'x-attempt';

/**
 * Delay buckets (ms). A retry's delay is rounded up to the next bucket (the largest one caps it). One
 * queue per bucket, each with one TTL for all its messages, so a short delay never waits behind a long
 * one (per-message TTLs on one queue expire only at the head).
 */
export const DELAY_BUCKETS_MS: readonly number[] = [
  10, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 300_000, 900_000,
];

/**
 * An RPC queue declared but never consumed (its server died between declaring and consuming) is
 * deleted by the broker after this long; one that had consumers is deleted when the last one goes
 * (auto-delete), so a request to it comes back unroutable (`no_route`) at once.
 */
export const RPC_QUEUE_EXPIRES_MS = 10_000;

export function eventQueueName(group: string, name: string): string {
  return `${group}.${name}`;
}

export function rpcQueueName(service: string): string {
  return `rpc.${service}`;
}

/** The smallest bucket >= delayMs (the largest bucket when none is). */
export function delayBucket(delayMs: number): number {
  for (const b of DELAY_BUCKETS_MS) if (b >= delayMs) return b;
  return DELAY_BUCKETS_MS[DELAY_BUCKETS_MS.length - 1]!;
}

export function delayQueueName(queue: string, bucketMs: number): string {
  return `${queue}.delay.${bucketMs}`;
}

export async function assertEventsExchange(ch: Channel): Promise<void> {
  await ch.assertExchange(eventsExchange(), 'topic', { durable: true });
}

/** A durable work queue (event subscription or command queue). No arguments: every side declares it alike. */
export async function assertWorkQueue(ch: Channel, queue: string): Promise<void> {
  await ch.assertQueue(queue, { durable: true });
}

export async function assertEventQueue(ch: Channel, queue: string, types: readonly string[]): Promise<void> {
  await assertEventsExchange(ch);
  await assertWorkQueue(ch, queue);
  for (const type of types) await ch.bindQueue(queue, eventsExchange(), type);
}

/** An instance's own event queue (SubscriptionSpec.perInstance): not durable, gone a minute after its consumer, the newest 10 000 kept. */
export async function assertInstanceEventQueue(ch: Channel, queue: string, types: readonly string[]): Promise<void> {
  await assertEventsExchange(ch);
  await ch.assertQueue(queue, {
    durable: false,
    autoDelete: true,
    arguments: { 'x-expires': 60_000, 'x-max-length': 10_000, 'x-overflow': 'drop-head' },
  });
  for (const type of types) await ch.bindQueue(queue, eventsExchange(), type);
}

export async function assertDelayQueue(ch: Channel, queue: string, bucketMs: number): Promise<string> {
  const name = delayQueueName(queue, bucketMs);
  await ch.assertQueue(name, {
    durable: true,
    arguments: { 'x-message-ttl': bucketMs, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': queue },
  });
  return name;
}

/**
 * Declared by serving instances only. Not durable (requests carry an expiration and are not worth
 * keeping); auto-delete, so the queue exists exactly while some instance consumes it and a caller's
 * `mandatory` request to a service with no live instance is returned by the broker (decision 13).
 */
export async function assertRpcQueue(ch: Channel, service: string): Promise<{ queue: string; consumerCount: number }> {
  const name = rpcQueueName(service);
  const ok = await ch.assertQueue(name, {
    durable: false,
    autoDelete: true,
    arguments: { 'x-expires': RPC_QUEUE_EXPIRES_MS },
  });
  return { queue: name, consumerCount: ok.consumerCount };
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
  }
}
