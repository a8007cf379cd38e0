/**
 * The calling side of RPC over RabbitMQ: one channel consuming the direct reply-to pseudo-queue
 * (no-ack, before anything is published on that channel), requests matched to replies by
 * correlation id. A request is published to `rpc.<service>` with `mandatory` (with no live instance
 * there is no such queue, and the broker returns the request at once) and `expiration` = its timeout
 * (a stale request is not served late). One broker round trip per call.
 */
import { randomBytes } from 'node:crypto';
import type { Channel, ConsumeMessage, Message } from 'amqplib';
import { DeadlineExceededError, UnavailableError } from '../../errors.ts';
import type { AmqpConnection } from './connection.ts';
import { DIRECT_REPLY_TO } from './topology.ts';

interface PendingCall {
  service: string;
  resolve: (reply: string) => void;
  reject: (err: unknown) => void;
  timer: NodeJS.Timeout;
}

export class RpcClient {
  private channel: Channel | undefined;
  private opening: Promise<Channel> | undefined;
  private readonly pending = new Map<string, PendingCall>();
  private readonly idPrefix = `${randomBytes(6).toString('base64url')}.`;
  private seq = 0;

  constructor(private readonly connection: AmqpConnection) {}

  /** (Re)creates the reply channel; called on every (re)connection. */
  async open(): Promise<void> {
    this.channel = undefined;
    this.opening = undefined;
    await this.replyChannel();
  }

  private replyChannel(): Promise<Channel> {
    if (this.channel) return Promise.resolve(this.channel);
    this.opening ??= (async () => {
      try {
        const ch = await this.connection.createChannel();
        ch.on('close', () => {
          if (this.channel === ch) this.channel = undefined;
          this.failAll(
            () =>
              new UnavailableError(
                'The RabbitMQ channel of pending requests closed before their replies came',
                'transport_disconnected',
              ),
          );
        });
        ch.on('return', (msg: Message) => {
          const id = msg.properties.correlationId as string | undefined;
          const call = id ? this.pending.get(id) : undefined;
          if (!call || !id) return;
          this.settle(id)?.reject(
            new UnavailableError(`No live instance of ${call.service} to call (request not routable)`, 'no_route'),
          );
        });
        await ch.consume(DIRECT_REPLY_TO, (msg: ConsumeMessage | null) => this.onReply(msg), { noAck: true });
        this.channel = ch;
        return ch;
      } finally {
        this.opening = undefined;
      }
    })();
    return this.opening;
  }

  private onReply(msg: ConsumeMessage | null): void {
    if (!msg) return;
    const id = msg.properties.correlationId as string | undefined;
    if (!id) return;
    this.settle(id)?.resolve(msg.content.toString('utf8'));
  }

  private settle(id: string): PendingCall | undefined {
    const call = this.pending.get(id);
    if (!call) return undefined; // late reply after a timeout: dropped
    this.pending.delete(id);
    clearTimeout(call.timer);
    return call;
  }

  /**
   * Publishes the request to `queue` (which exists only while an instance consumes it). Resolves with
   * the reply, rejects with DeadlineExceededError after `timeoutMs`, UnavailableError when the request
   * comes back unroutable (`no_route`: no live instance) or the connection goes away first.
   */
  request(service: string, queue: string, body: string, timeoutMs: number): Promise<string> {
    const ch = this.channel;
    if (!ch) return this.replyChannel().then((opened) => this.send(opened, service, queue, body, timeoutMs));
    return this.send(ch, service, queue, body, timeoutMs);
  }

  private send(ch: Channel, service: string, queue: string, body: string, timeoutMs: number): Promise<string> {
    // Unique among this client's requests (replies come only to its own channel): short, and cheaper than a UUID.
    const id = `${this.idPrefix}${(this.seq++).toString(36)}`;
    const timeout = Math.max(1, Math.ceil(timeoutMs));
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.pending.delete(id)) reject(new DeadlineExceededError(`No reply from ${service} within ${timeout} ms`));
      }, timeout);
      this.pending.set(id, { service, resolve, reject, timer });
      try {
        ch.publish('', queue, Buffer.from(body, 'utf8'), {
          correlationId: id,
          replyTo: DIRECT_REPLY_TO,
          expiration: String(timeout),
          mandatory: true,
          contentType: 'application/json',
          persistent: false,
        });
      } catch (err) {
        this.settle(id);
        reject(
          new UnavailableError(
            `Cannot send a request to ${service}: ${(err as Error).message}`,
            'transport_disconnected',
            err,
          ),
        );
      }
    });
  }

  failAll(error: () => Error): void {
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(error());
  }

  async close(error: () => Error): Promise<void> {
    this.failAll(error);
    const ch = this.channel;
    this.channel = undefined;
    if (ch) await ch.close().catch(() => {});
  }
}
