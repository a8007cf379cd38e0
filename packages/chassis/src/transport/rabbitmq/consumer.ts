/**
 * One consumer of one queue on a channel of its own (its prefetch is its bulkhead). It survives its
 * channel and its connection: a channel closed under it is re-opened (after a pause), and after a
 * reconnection the transport starts it again. Deliveries in flight on a dead channel cannot be
 * acknowledged any more; the broker redelivers them (at-least-once; the chassis inbox drops duplicates).
 */
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Logger } from '../../observability/logger.ts';
import type { Consumer } from '../transport.ts';
import type { AmqpConnection } from './connection.ts';

export interface ManagedConsumerOptions {
  connection: AmqpConnection;
  queue: string;
  prefetch: number;
  /** Declares what the consumer needs (queue, bindings) on its channel before consuming. */
  declare: (ch: Channel) => Promise<void>;
  /** Handles one delivery and settles it (ack / republish + ack) on `ch`. Must not throw. */
  handle: (ch: Channel, msg: ConsumeMessage) => Promise<void>;
  onCancelled: () => void;
  log?: Logger;
  /**
   * Called when declaring or consuming failed with a channel error the broker raises about the queue
   * itself (404: it vanished between declare and consume; 406: it exists with other arguments), before
   * one more try on a fresh channel. Without it such a failure is final.
   */
  repair?: (code: 404 | 406) => Promise<void>;
  /** Pause before re-opening a channel that closed under a live connection. */
  restartDelayMs?: number;
}

export class ManagedConsumer implements Consumer {
  private channel: Channel | undefined;
  private tag: string | undefined;
  private starting: Promise<void> | undefined;
  private inFlight = 0;
  private readonly idle: Array<() => void> = [];
  private cancelled = false;
  private cancelling: Promise<void> | undefined;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ManagedConsumerOptions) {}

  get queue(): string {
    return this.options.queue;
  }

  /** Forgets a channel that died with its connection (before starting again on a new one). */
  reset(): void {
    this.channel = undefined;
    this.tag = undefined;
    this.starting = undefined;
  }

  /** Opens the channel, declares, consumes; a no-op when already consuming. */
  ensureStarted(): Promise<void> {
    if (this.cancelled || this.channel) return Promise.resolve();
    this.starting ??= this.start().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async start(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.startOnce();
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (!this.options.repair || attempt >= 3 || (code !== 404 && code !== 406)) throw err;
        this.options.log?.info(
          { queue: this.options.queue, code },
          'rabbitmq queue not as expected; repairing and consuming again',
        );
        await this.options.repair(code);
      }
    }
  }

  private async startOnce(): Promise<void> {
    const { connection, queue, prefetch } = this.options;
    const ch = await connection.createChannel();
    try {
      await ch.prefetch(Math.max(1, prefetch));
      await this.options.declare(ch);
      const ok = await ch.consume(queue, (msg) => this.onMessage(ch, msg), { noAck: false });
      if (this.cancelled) {
        await ch.close().catch(() => {});
        return;
      }
      this.channel = ch;
      this.tag = ok.consumerTag;
      ch.on('close', () => this.onChannelClosed(ch));
    } catch (err) {
      await ch.close().catch(() => {});
      throw err;
    }
  }

  private onChannelClosed(ch: Channel): void {
    if (this.channel !== ch) return;
    this.channel = undefined;
    this.tag = undefined;
    if (this.cancelled) return;
    // Closed with the connection: the transport restarts every consumer on the next one. Closed alone
    // (a channel error, or the broker cancelled us): start again after a pause, on the same connection.
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    if (this.restartTimer || this.cancelled) return;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.cancelled || this.channel || !this.options.connection.isOpen()) return;
      this.ensureStarted().catch((err: unknown) => {
        this.options.log?.warn(
          { queue: this.options.queue, err: (err as Error).message },
          'rabbitmq consumer restart failed; retrying',
        );
        this.scheduleRestart();
      });
    }, this.options.restartDelayMs ?? 1000);
  }

  private onMessage(ch: Channel, msg: ConsumeMessage | null): void {
    if (!msg) {
      // The broker cancelled the consumer (its queue was deleted): close the channel and start again,
      // which declares the queue anew.
      this.options.log?.warn({ queue: this.options.queue }, 'rabbitmq consumer cancelled by the broker; restarting');
      void ch.close().catch(() => {});
      return;
    }
    this.inFlight++;
    this.options
      .handle(ch, msg)
      .catch((err: unknown) =>
        this.options.log?.error(
          { queue: this.options.queue, err: (err as Error).message },
          'rabbitmq delivery handling failed',
        ),
      )
      .finally(() => {
        this.inFlight--;
        if (this.inFlight === 0) for (const resolve of this.idle.splice(0)) resolve();
      });
  }

  /** Stops taking deliveries, waits for the ones in flight to settle, then closes the channel. */
  cancel(): Promise<void> {
    this.cancelling ??= (async () => {
      this.cancelled = true;
      if (this.restartTimer) clearTimeout(this.restartTimer);
      this.restartTimer = undefined;
      this.options.onCancelled();
      await this.starting?.catch(() => {});
      const ch = this.channel;
      const tag = this.tag;
      if (ch && tag) await ch.cancel(tag).catch(() => {});
      if (this.inFlight > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
      this.channel = undefined;
      this.tag = undefined;
      if (ch) await ch.close().catch(() => {});
    })();
    return this.cancelling;
  }
}

/** Acknowledges on the delivery's own channel; on a dead channel the broker redelivers instead. */
export function safeAck(ch: Channel, msg: ConsumeMessage): boolean {
  try {
    ch.ack(msg);
    return true;
  } catch {
    return false;
  }
}

export function safeNack(ch: Channel, msg: ConsumeMessage, requeue: boolean): boolean {
  try {
    ch.nack(msg, false, requeue);
    return true;
  } catch {
    return false;
  }
}
