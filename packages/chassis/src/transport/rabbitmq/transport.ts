/**
 * The RabbitMQ transport (amqplib): the same semantics as the memory transport, on a real broker.
 * Topology and the reasons for it: docs/rabbitmq-topology.md.
 *
 * - publish: events to the durable topic exchange (routing key = type), commands to their durable
 *   queue; persistent, on a confirm channel: resolves on the broker's ack, rejects on nack, on a
 *   closed channel, or at once while the broker is away (the outbox relay sends it again later).
 * - subscribe: a channel per consumer with bounded prefetch; ack when the handler says `ack`; `retry`
 *   republishes a copy with `x-attempt` + 1 into a delay queue that dead-letters back (confirmed),
 *   then acks the original.
 * - RPC: `rpc.<service>` queues that live while an instance consumes them, direct reply-to,
 *   correlation ids, expiration = timeout; a `mandatory` request to a service with no live instance
 *   comes back from the broker at once (`no_route`).
 * - connection loss: reconnect with back-off and jitter, re-create channels, topology and consumers;
 *   health false meanwhile; pending requests fail with UnavailableError.
 */
import { randomUUID } from 'node:crypto';
import type { Channel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import { UnavailableError } from '../../errors.ts';
import type { Logger } from '../../observability/logger.ts';
import { sleep } from '../../resilience/backoff.ts';
import type {
  Consumer,
  Delivery,
  MessageHandler,
  OutgoingMessage,
  QueueDepth,
  RpcServer,
  Settlement,
  SubscriptionSpec,
  Transport,
  TransportHealth,
} from '../transport.ts';
import { AmqpConnection, type ReconnectOptions } from './connection.ts';
import { ManagedConsumer, safeAck, safeNack, type ManagedConsumerOptions } from './consumer.ts';
import { readQueueDepths } from './queue-depths.ts';
import { rpcConsumerOptions } from './rpc-server.ts';
import { attemptOf, retryCopyOptions } from './retry-copy.ts';
import { RpcClient } from './rpc-client.ts';
import {
  eventsExchange,
  assertDelayQueue,
  assertEventQueue,
  assertEventsExchange,
  assertInstanceEventQueue,
  assertWorkQueue,
  delayBucket,
  eventQueueName,
  rpcQueueName,
} from './topology.ts';

export interface RabbitMqTransportOptions {
  /** amqp://user:password@host:port/vhost */
  url: string;
  log?: Logger;
  reconnect?: ReconnectOptions;
  /** Shown by the broker (`rabbitmqctl list_connections client_properties`). */
  connectionName?: string;
  /** AMQP heartbeat, seconds (default 10): a dead broker is noticed within about twice that. */
  heartbeatSeconds?: number;
}

export class RabbitMqTransport implements Transport {
  readonly kind = 'rabbitmq';
  private readonly connection: AmqpConnection;
  private readonly rpc: RpcClient;
  private readonly consumers = new Set<ManagedConsumer>();
  private confirm: Promise<ConfirmChannel> | undefined;
  private topology: Promise<Channel> | undefined;
  /** Queues declared on this connection (command and delay queues), so each is declared once. */
  private readonly declared = new Map<string, Promise<void>>();
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly log: Logger | undefined;
  /** The consuming service of each queue this process consumes (for the queue depth metrics). */
  private readonly groups = new Map<string, string>();

  constructor(options: RabbitMqTransportOptions) {
    this.log = options.log;
    this.connection = new AmqpConnection(
      options.url,
      { onOpen: (_model, reconnected) => this.onOpen(reconnected), onLost: (reason) => this.onLost(reason) },
      {
        ...(options.log ? { log: options.log } : {}),
        ...(options.reconnect ? { reconnect: options.reconnect } : {}),
        ...(options.connectionName ? { name: options.connectionName } : {}),
        ...(options.heartbeatSeconds ? { heartbeatSeconds: options.heartbeatSeconds } : {}),
      },
    );
    this.rpc = new RpcClient(this.connection);
  }

  async connect(): Promise<void> {
    if (this.closing) {
      await this.closing;
      this.closing = undefined;
    }
    this.closed = false;
    await this.connection.connect();
  }

  health(): TransportHealth {
    if (this.closed) return { ready: false, detail: 'rabbitmq transport closed' };
    return this.connection.health();
  }

  /** Everything that lives on a connection, (re)created on each one. */
  private async onOpen(reconnected: boolean): Promise<void> {
    this.declared.clear();
    this.confirm = undefined;
    this.topology = undefined;
    await assertEventsExchange(await this.topologyChannel());
    await this.confirmChannel();
    await this.rpc.open();
    for (const c of this.consumers) {
      c.reset();
      await c.ensureStarted();
    }
    if (reconnected) this.log?.info({ consumers: this.consumers.size }, 'rabbitmq topology and consumers restored');
  }

  private onLost(reason: string): void {
    this.confirm = undefined;
    this.topology = undefined;
    this.rpc.failAll(
      () =>
        new UnavailableError(`RabbitMQ connection lost before the reply came (${reason})`, 'transport_disconnected'),
    );
  }

  private ensureOpen(): void {
    if (this.closed) throw new UnavailableError('RabbitMQ transport is closed', 'transport_closed');
    if (!this.connection.isOpen())
      throw new UnavailableError(
        this.connection.health().detail ?? 'RabbitMQ is not connected',
        'transport_disconnected',
      );
  }

  private confirmChannel(): Promise<ConfirmChannel> {
    if (!this.confirm) {
      const p = this.connection.createConfirmChannel().then((ch) => {
        ch.on('close', () => {
          if (this.confirm === p) this.confirm = undefined;
        });
        return ch;
      });
      p.catch(() => {
        if (this.confirm === p) this.confirm = undefined;
      });
      this.confirm = p;
    }
    return this.confirm;
  }

  /** For declarations: a failed declaration closes this channel, not the publisher's. */
  private topologyChannel(): Promise<Channel> {
    if (!this.topology) {
      const p = this.connection.createChannel().then((ch) => {
        ch.on('close', () => {
          if (this.topology === p) this.topology = undefined;
        });
        return ch;
      });
      p.catch(() => {
        if (this.topology === p) this.topology = undefined;
      });
      this.topology = p;
    }
    return this.topology;
  }

  private declareOnce(key: string, declare: (ch: Channel) => Promise<unknown>): Promise<void> {
    let p = this.declared.get(key);
    if (!p) {
      p = this.topologyChannel()
        .then(declare)
        .then(() => undefined);
      p.catch(() => this.declared.delete(key));
      this.declared.set(key, p);
    }
    return p;
  }

  /** Publishes on the confirm channel; resolves on the broker's ack. */
  private async confirmedPublish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: Options.Publish,
  ): Promise<void> {
    const ch = await this.confirmChannel();
    await new Promise<void>((resolve, reject) => {
      try {
        ch.publish(exchange, routingKey, content, options, (err: unknown) => (err ? reject(err) : resolve()));
      } catch (err) {
        reject(err);
      }
    });
  }

  async publish(message: OutgoingMessage): Promise<void> {
    this.ensureOpen();
    const { destination } = message;
    const what = destination.kind === 'event' ? `event ${destination.type}` : `command to ${destination.queue}`;
    try {
      const options: Options.Publish = {
        persistent: true,
        messageId: message.messageId,
        contentType: 'application/json',
        headers: {},
      };
      if (destination.kind === 'event') {
        await this.confirmedPublish(eventsExchange(), destination.type, Buffer.from(message.body, 'utf8'), {
          ...options,
          type: destination.type,
        });
      } else {
        await this.declareOnce(`queue:${destination.queue}`, (ch) => assertWorkQueue(ch, destination.queue));
        await this.confirmedPublish('', destination.queue, Buffer.from(message.body, 'utf8'), options);
      }
    } catch (err) {
      if (err instanceof UnavailableError) throw err;
      throw new UnavailableError(
        `RabbitMQ did not confirm the ${what} (${(err as Error).message})`,
        'publish_not_confirmed',
        err,
      );
    }
  }

  async subscribe(spec: SubscriptionSpec, handler: MessageHandler): Promise<Consumer> {
    if (this.closed) throw new UnavailableError('RabbitMQ transport is closed', 'transport_closed');
    const source = spec.source;
    const perInstance = spec.perInstance === true && source.kind === 'events';
    const queue =
      source.kind === 'commands'
        ? source.queue
        : `${eventQueueName(spec.group, spec.name)}${perInstance ? `.${randomUUID().slice(0, 8)}` : ''}`;
    const declare =
      source.kind === 'commands'
        ? (ch: Channel) => assertWorkQueue(ch, queue)
        : perInstance
          ? (ch: Channel) => assertInstanceEventQueue(ch, queue, source.types)
          : (ch: Channel) => assertEventQueue(ch, queue, source.types);
    this.groups.set(queue, spec.group);
    return this.addConsumer({
      queue,
      prefetch: spec.prefetch,
      declare,
      handle: (ch, msg) => this.handleDelivery(queue, handler, ch, msg),
    });
  }

  async serve(service: string, server: RpcServer, options: { concurrency: number }): Promise<Consumer> {
    if (this.closed) throw new UnavailableError('RabbitMQ transport is closed', 'transport_closed');
    this.groups.set(rpcQueueName(service), service);
    return this.addConsumer(rpcConsumerOptions(this.connection, service, server, options.concurrency, this.log));
  }

  private async addConsumer(
    o: Pick<ManagedConsumerOptions, 'queue' | 'prefetch' | 'declare' | 'repair' | 'handle'>,
  ): Promise<Consumer> {
    const consumer: ManagedConsumer = new ManagedConsumer({
      connection: this.connection,
      ...o,
      onCancelled: () => this.consumers.delete(consumer),
      ...(this.log ? { log: this.log } : {}),
    });
    this.consumers.add(consumer);
    // While the broker is away the consumer starts with the next connection.
    if (this.connection.isOpen()) {
      try {
        await consumer.ensureStarted();
      } catch (err) {
        this.consumers.delete(consumer);
        await consumer.cancel();
        throw new UnavailableError(
          `Cannot consume from ${o.queue} on RabbitMQ: ${(err as Error).message}`,
          'broker_unavailable',
          err,
        );
      }
    }
    return consumer;
  }

  private async handleDelivery(
    queue: string,
    handler: MessageHandler,
    ch: Channel,
    msg: ConsumeMessage,
  ): Promise<void> {
    const attempt = attemptOf(msg);
    const delivery: Delivery = { body: msg.content.toString('utf8'), attempt };
    let settlement: Settlement;
    try {
      settlement = await handler(delivery);
    } catch {
      settlement = { outcome: 'retry', delayMs: 1000 };
    }
    if (settlement.outcome === 'ack') {
      safeAck(ch, msg);
      return;
    }
    try {
      await this.scheduleRetry(queue, msg, attempt + 1, settlement.delayMs);
      safeAck(ch, msg); // only once the copy is confirmed: nothing lost between the two
    } catch (err) {
      // Could not park the copy (broker trouble): hand the original back to the broker after a pause.
      this.log?.warn({ queue, err: (err as Error).message }, 'rabbitmq retry could not be scheduled; requeueing');
      await sleep(Math.min(Math.max(0, settlement.delayMs), 1000));
      safeNack(ch, msg, true);
    }
  }

  /** A copy with the next attempt number, into the delay queue of the bucket at or above `delayMs`. */
  private async scheduleRetry(queue: string, msg: ConsumeMessage, attempt: number, delayMs: number): Promise<void> {
    let target = queue;
    if (delayMs > 0) {
      const bucket = delayBucket(delayMs);
      target = `${queue}.delay.${bucket}`;
      await this.declareOnce(`delay:${target}`, (ch) => assertDelayQueue(ch, queue, bucket));
    }
    const options = retryCopyOptions(msg, attempt);
    await this.confirmedPublish('', target, msg.content, options);
  }

  /**
   * One broker round trip: the request is published `mandatory` to `rpc.<service>`, which exists only
   * while an instance consumes it, so with no live instance the broker returns it at once (`no_route`,
   * from the RPC client's `basic.return` handler). No per-call liveness check (decision 13).
   */
  async request(service: string, body: string, options: { timeoutMs: number }): Promise<string> {
    this.ensureOpen();
    return this.rpc.request(service, rpcQueueName(service), body, options.timeoutMs);
  }

  /** The depth of the queues this process consumes (queue-depths.ts); empty while the broker is away. */
  async queueDepths(): Promise<QueueDepth[]> {
    if (this.closed || !this.connection.isOpen()) return [];
    return readQueueDepths(
      this.connection,
      [...new Set([...this.consumers].map((c) => c.queue))],
      this.groups,
      this.log,
    );
  }

  /** Cancels consumers (waiting for their deliveries in flight), fails pending requests, closes. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      await Promise.allSettled([...this.consumers].map((c) => c.cancel()));
      await this.rpc.close(
        () => new UnavailableError('RabbitMQ transport closed before the reply came', 'transport_closed'),
      );
      await this.connection.close();
      this.confirm = undefined;
      this.topology = undefined;
      this.declared.clear();
    })();
    return this.closing;
  }
}
