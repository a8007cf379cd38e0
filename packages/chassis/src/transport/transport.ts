/**
 * The one Transport interface. Implementations move serialized envelopes (strings) and know nothing
 * of schemas, databases or retries policy: the chassis decides, per delivery, to acknowledge or to
 * redeliver later; the transport carries that out. `memory` and `rabbitmq` implement it.
 */

export type Destination =
  /** Published to every subscribing service (one queue per service; its instances compete). */
  | { kind: 'event'; type: string }
  /** Point-to-point: one consumer of the queue takes it. */
  | { kind: 'command'; queue: string };

export interface OutgoingMessage {
  destination: Destination;
  messageId: string;
  /** The serialized envelope. */
  body: string;
}

export interface Delivery {
  readonly body: string;
  /** 1 on the first delivery; counts redeliveries asked for by `retry` settlements. */
  readonly attempt: number;
}

export type Settlement = { outcome: 'ack' } | { outcome: 'retry'; delayMs: number };

export type MessageHandler = (delivery: Delivery) => Promise<Settlement>;

export interface SubscriptionSpec {
  /** The consuming service. Instances of one group compete for its messages. */
  group: string;
  /** Unique per group; the durable queue's name on a broker. */
  name: string;
  source: { kind: 'events'; types: readonly string[] } | { kind: 'commands'; queue: string };
  /** Deliveries handed to this consumer at once (bounded prefetch: a bulkhead per consumer). */
  prefetch: number;
  /**
   * Events only: a queue of this instance's own instead of the group's, so that every instance gets
   * every event; it is not durable and goes with the instance (a broker deletes it a minute after its
   * consumer is gone) and keeps at most the newest 10 000. For news passed on as it comes (a live
   * stream to browsers), never for changing state: nothing is redelivered after a restart.
   */
  perInstance?: boolean;
}

/** Serves RPC requests for a service; returns the serialized reply. Must not throw. */
export type RpcServer = (body: string) => Promise<string>;

export interface Consumer {
  /** Stops taking deliveries, then waits for the ones in flight to settle. */
  cancel(): Promise<void>;
}

export interface TransportHealth {
  ready: boolean;
  detail?: string;
}

/** One queue's depth as the transport sees it (a metrics scrape reads these). */
export interface QueueDepth {
  queue: string;
  /** Waiting for a consumer. */
  ready: number;
  /** Delivered and not yet settled (0 when the transport cannot tell, as on RabbitMQ via `checkQueue`). */
  unacked: number;
  consumers: number;
  /** The consuming service, when the transport knows it. */
  group?: string;
}

export interface PublishOptions {
  /**
   * Called once the message's place is fixed before its confirm: whatever is published after this
   * call reaches every queue after it, and the publish can fail only with the transport (closed, or
   * the process gone). A transport that cannot promise this never calls it (RabbitMQ: a nack of one
   * message may follow the routing of the next), so the caller waits for the confirm instead.
   */
  onOrdered?: () => void;
}

export interface Transport {
  readonly kind: string;
  connect(): Promise<void>;
  /** Cancels consumers, fails pending requests and publishes, and releases connections. */
  close(): Promise<void>;
  /**
   * Resolves once the transport has taken responsibility for the message (the publisher confirm):
   * after that a crash of the publisher cannot lose it. Rejects when it could not.
   */
  publish(message: OutgoingMessage, options?: PublishOptions): Promise<void>;
  subscribe(spec: SubscriptionSpec, handler: MessageHandler): Promise<Consumer>;
  /** Registers the RPC endpoint of `service` (the queue that is its registry entry and load balancer). */
  serve(service: string, server: RpcServer, options: { concurrency: number }): Promise<Consumer>;
  /**
   * Sends a request to a live instance of `service` and resolves with its serialized reply.
   * Rejects with UnavailableError when no instance serves it, DeadlineExceededError after `timeoutMs`.
   */
  request(service: string, body: string, options: { timeoutMs: number }): Promise<string>;
  health(): TransportHealth;
  /**
   * Optional: the depth of the queues this process consumes (message and RPC queues), read at
   * metrics scrape time. Transports that cannot tell leave it out.
   */
  queueDepths?(): Promise<QueueDepth[]>;
}
