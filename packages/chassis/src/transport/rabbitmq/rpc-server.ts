/**
 * The serving side of RPC over RabbitMQ: a consumer of `rpc.<service>` (auto-delete: the queue lives
 * while an instance consumes it, so a caller's `mandatory` request to a service with no live instance
 * comes back unroutable at once). Each request is answered on the consumer's channel to its `replyTo`
 * (direct reply-to) and acknowledged after the reply is published: an instance that dies first leaves
 * the request to another one (state-changing methods are idempotent by key).
 */
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Logger } from '../../observability/logger.ts';
import type { RpcServer } from '../transport.ts';
import type { AmqpConnection } from './connection.ts';
import type { ManagedConsumerOptions } from './consumer.ts';
import { safeAck } from './consumer.ts';
import { assertRpcQueue, rpcQueueName } from './topology.ts';

export function rpcConsumerOptions(
  connection: AmqpConnection,
  service: string,
  server: RpcServer,
  concurrency: number,
  log: Logger | undefined,
): Pick<ManagedConsumerOptions, 'queue' | 'prefetch' | 'declare' | 'repair' | 'handle'> {
  const queue = rpcQueueName(service);
  return {
    queue,
    // Prefetch = the server's concurrency: requests beyond it wait in the queue (or expire there),
    // where another instance can take them.
    prefetch: concurrency,
    declare: async (ch) => {
      await assertRpcQueue(ch, service);
    },
    // 404: the queue was auto-deleted between our declare and consume (its last other consumer left):
    // declaring again suffices. 406: a queue of that name left by an older version with other
    // arguments; it has no consumer (else the delete fails and so does the start), so it is removed.
    repair: async (code) => {
      if (code !== 406) return;
      const ch = await connection.createChannel();
      try {
        await ch.deleteQueue(queue, { ifUnused: true });
      } finally {
        await ch.close().catch(() => {});
      }
    },
    handle: (ch, msg) => answer(service, server, log, ch, msg),
  };
}

async function answer(
  service: string,
  server: RpcServer,
  log: Logger | undefined,
  ch: Channel,
  msg: ConsumeMessage,
): Promise<void> {
  let reply: string | undefined;
  try {
    reply = await server(msg.content.toString('utf8'));
  } catch (err) {
    log?.error(
      { service, err: (err as Error).message },
      'rpc server threw (it must answer with an error reply instead)',
    );
  }
  const { replyTo, correlationId } = msg.properties as { replyTo?: string; correlationId?: string };
  if (reply !== undefined && replyTo) {
    try {
      ch.publish('', replyTo, Buffer.from(reply, 'utf8'), {
        ...(correlationId ? { correlationId } : {}),
        contentType: 'application/json',
      });
    } catch {
      // channel gone: the request is redelivered to another instance (or expires)
    }
  }
  safeAck(ch, msg);
}
