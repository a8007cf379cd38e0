/**
 * The depth of RabbitMQ queues, by `checkQueue` (passive) on a throwaway channel: ready =
 * messageCount, consumers = consumerCount (every instance's, not only ours); the broker does not
 * report unacknowledged messages over AMQP, so unacked is 0. A queue that is missing (a 404 closes
 * the channel) is skipped; the rest stop when the connection goes.
 */
import type { Channel } from 'amqplib';
import type { Logger } from '../../observability/logger.ts';
import type { QueueDepth } from '../transport.ts';
import type { AmqpConnection } from './connection.ts';

export async function readQueueDepths(
  connection: AmqpConnection,
  queues: readonly string[],
  groups: ReadonlyMap<string, string>,
  log: Logger | undefined,
): Promise<QueueDepth[]> {
  const out: QueueDepth[] = [];
  let ch: Channel | undefined;
  try {
    for (const queue of queues) {
      try {
        ch ??= await connection.createChannel(); // reports its errors; a 404 closes only this channel
        const ok = await ch.checkQueue(queue);
        const group = groups.get(queue);
        out.push({
          queue,
          ready: ok.messageCount,
          unacked: 0,
          consumers: ok.consumerCount,
          ...(group ? { group } : {}),
        });
      } catch (err) {
        log?.debug({ queue, err: (err as Error).message }, 'rabbitmq queue depth unavailable');
        await ch?.close().catch(() => {});
        ch = undefined;
        if (!connection.isOpen()) break;
      }
    }
  } finally {
    await ch?.close().catch(() => {});
  }
  return out;
}
