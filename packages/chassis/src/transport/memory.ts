/**
 * The in-memory transport: one process, the same semantics as a broker. Every message and RPC is a
 * string crossing it (serialized by the caller, parsed by the receiver). Each subscribing service has
 * its own queue per subscription and its instances compete for it; commands go to one consumer.
 *
 * Durability in one process: `publish` resolves only when every queue the message was routed to has
 * acknowledged it. The outbox row stays unpublished until then, so a crash of the process loses
 * nothing: the relay sends the message again on the next start and the inbox drops the duplicate.
 * Its order is fixed earlier, when it is in every queue (`onOrdered`): the relay sends an aggregate's
 * next message then, rather than after the slowest consumer of this one.
 */
import { DeadlineExceededError, UnavailableError } from '../errors.ts';
import type {
  Consumer,
  Delivery,
  MessageHandler,
  OutgoingMessage,
  PublishOptions,
  QueueDepth,
  RpcServer,
  Settlement,
  SubscriptionSpec,
  Transport,
  TransportHealth,
} from './transport.ts';

interface Pending {
  body: string;
  attempt: number;
  settled: () => void;
}

interface QueueConsumer {
  handler: MessageHandler;
  prefetch: number;
  inFlight: number;
  idle: Array<() => void>;
}

class MemoryQueue {
  readonly pending: Pending[] = [];
  readonly consumers: QueueConsumer[] = [];
  private next = 0;
  readonly timers = new Set<NodeJS.Timeout>();
  /** The consuming service (the subscribing group), once someone subscribed. */
  group: string | undefined;

  constructor(readonly name: string) {}

  /** Pending = ready; delivered to a consumer and not yet settled = unacked (redeliveries waiting on a timer count as ready). */
  depth(): QueueDepth {
    return {
      queue: this.name,
      ready: this.pending.length + this.timers.size,
      unacked: this.consumers.reduce((n, c) => n + c.inFlight, 0),
      consumers: this.consumers.length,
      ...(this.group ? { group: this.group } : {}),
    };
  }

  enqueue(item: Pending): void {
    this.pending.push(item);
    this.pump();
  }

  pump(): void {
    while (this.pending.length > 0) {
      const consumer = this.pickConsumer();
      if (!consumer) return;
      const item = this.pending.shift()!;
      this.deliver(consumer, item);
    }
  }

  private pickConsumer(): QueueConsumer | undefined {
    const n = this.consumers.length;
    for (let i = 0; i < n; i++) {
      const c = this.consumers[(this.next + i) % n]!;
      if (c.inFlight < c.prefetch) {
        this.next = (this.next + i + 1) % n;
        return c;
      }
    }
    return undefined;
  }

  private deliver(consumer: QueueConsumer, item: Pending): void {
    consumer.inFlight++;
    const delivery: Delivery = { body: item.body, attempt: item.attempt };
    let settlement: Promise<Settlement>;
    try {
      settlement = consumer.handler(delivery);
    } catch (err) {
      settlement = Promise.reject(err);
    }
    settlement
      .catch((): Settlement => ({ outcome: 'retry', delayMs: 1000 }))
      .then((s) => {
        consumer.inFlight--;
        if (s.outcome === 'ack') item.settled();
        else this.redeliverLater({ ...item, attempt: item.attempt + 1 }, s.delayMs);
        if (consumer.inFlight === 0) for (const resolve of consumer.idle.splice(0)) resolve();
        this.pump();
      });
  }

  private redeliverLater(item: Pending, delayMs: number): void {
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        this.enqueue(item);
      },
      Math.max(0, delayMs),
    );
    this.timers.add(timer);
  }

  /** Removes a consumer; resolves when its deliveries in flight have settled. */
  async remove(consumer: QueueConsumer): Promise<void> {
    const i = this.consumers.indexOf(consumer);
    if (i >= 0) this.consumers.splice(i, 1);
    if (consumer.inFlight > 0) await new Promise<void>((resolve) => consumer.idle.push(resolve));
  }
}

interface RpcInstance {
  server: RpcServer;
  concurrency: number;
  inFlight: number;
  idle: Array<() => void>;
}

interface WaitingCall {
  body: string;
  resolve: (reply: string) => void;
  reject: (err: unknown) => void;
  timer: NodeJS.Timeout;
}

export class MemoryTransport implements Transport {
  readonly kind = 'memory';
  private readonly queues = new Map<string, MemoryQueue>();
  private readonly bindings = new Map<string, Set<MemoryQueue>>();
  private readonly rpc = new Map<string, { instances: RpcInstance[]; waiting: WaitingCall[] }>();
  /** Calls handed to a server and not answered yet: failed on close, like the ones still waiting. */
  private readonly answering = new Set<WaitingCall>();
  private readonly unsettled = new Set<{ reject: (err: unknown) => void }>();
  private closed = false;
  private instanceQueues = 0;
  /** Calls allowed to wait for a free RPC instance, per service; past it, refused at once (`overloaded`). */
  private readonly maxRpcWaiting: number;

  /** `maxRpcWaiting`: the all-in-one mode passes its RPC_MAX_WAITING setting (default 1024). */
  constructor(options: { maxRpcWaiting?: number } = {}) {
    this.maxRpcWaiting = Math.max(0, options.maxRpcWaiting ?? 1024);
  }

  async connect(): Promise<void> {
    this.closed = false;
  }

  health(): TransportHealth {
    return this.closed ? { ready: false, detail: 'memory transport closed' } : { ready: true };
  }

  async publish(message: OutgoingMessage, options: PublishOptions = {}): Promise<void> {
    if (this.closed) throw new UnavailableError('Memory transport is closed', 'transport_closed');
    const targets =
      message.destination.kind === 'event'
        ? [...(this.bindings.get(message.destination.type) ?? [])]
        : [this.queue(message.destination.queue)];
    if (targets.length === 0) return; // no subscriber: dropped, as an unrouted message on a broker
    await new Promise<void>((resolve, reject) => {
      let remaining = targets.length;
      const handle = { reject };
      this.unsettled.add(handle);
      const settled = () => {
        if (--remaining === 0) {
          this.unsettled.delete(handle);
          resolve();
        }
      };
      for (const q of targets) q.enqueue({ body: message.body, attempt: 1, settled });
      // In every queue now, ahead of whatever comes next: the sender need not wait for the
      // consumers (a read model's batch may linger) before sending the next message in order.
      options.onOrdered?.();
    });
  }

  async subscribe(spec: SubscriptionSpec, handler: MessageHandler): Promise<Consumer> {
    const perInstance = spec.perInstance === true && spec.source.kind === 'events';
    const name =
      spec.source.kind === 'commands'
        ? spec.source.queue
        : `${spec.group}.${spec.name}${perInstance ? `.${++this.instanceQueues}` : ''}`;
    const queue = this.queue(name);
    if (spec.source.kind === 'events') {
      for (const type of spec.source.types) {
        let set = this.bindings.get(type);
        if (!set) this.bindings.set(type, (set = new Set()));
        set.add(queue);
      }
    }
    queue.group ??= spec.group;
    const consumer: QueueConsumer = { handler, prefetch: Math.max(1, spec.prefetch), inFlight: 0, idle: [] };
    queue.consumers.push(consumer);
    queue.pump();
    if (!perInstance) return { cancel: () => queue.remove(consumer) };
    return {
      cancel: async () => {
        // The instance's queue goes with it: unbound, and what it held dropped (its publishers settled).
        for (const set of this.bindings.values()) set.delete(queue);
        this.queues.delete(name);
        for (const item of queue.pending.splice(0)) item.settled();
        await queue.remove(consumer);
      },
    };
  }

  async serve(service: string, server: RpcServer, options: { concurrency: number }): Promise<Consumer> {
    let entry = this.rpc.get(service);
    if (!entry) this.rpc.set(service, (entry = { instances: [], waiting: [] }));
    const instance: RpcInstance = { server, concurrency: Math.max(1, options.concurrency), inFlight: 0, idle: [] };
    entry.instances.push(instance);
    const e = entry;
    return {
      cancel: async () => {
        const i = e.instances.indexOf(instance);
        if (i >= 0) e.instances.splice(i, 1);
        if (e.instances.length === 0) {
          for (const w of e.waiting.splice(0)) {
            clearTimeout(w.timer);
            w.reject(new UnavailableError(`No live instance of ${service}`, 'no_route'));
          }
        }
        if (instance.inFlight > 0) await new Promise<void>((resolve) => instance.idle.push(resolve));
      },
    };
  }

  request(service: string, body: string, options: { timeoutMs: number }): Promise<string> {
    const entry = this.rpc.get(service);
    if (this.closed) return Promise.reject(new UnavailableError('Memory transport is closed', 'transport_closed'));
    if (!entry || entry.instances.length === 0) {
      return Promise.reject(new UnavailableError(`No live instance of ${service} to call`, 'no_route'));
    }
    if (entry.waiting.length >= this.maxRpcWaiting && !entry.instances.some((i) => i.inFlight < i.concurrency)) {
      return Promise.reject(
        new UnavailableError(
          `${service} is overloaded (${entry.waiting.length} calls waiting); try again shortly`,
          'overloaded',
        ),
      );
    }
    return new Promise<string>((resolve, reject) => {
      const call: WaitingCall = {
        body,
        resolve,
        reject,
        timer: setTimeout(
          () => {
            const i = entry.waiting.indexOf(call);
            if (i >= 0) entry.waiting.splice(i, 1);
            reject(new DeadlineExceededError(`No reply from ${service} within ${options.timeoutMs} ms`));
          },
          Math.max(0, options.timeoutMs),
        ),
      };
      entry.waiting.push(call);
      this.dispatchRpc(entry);
    });
  }

  /** Every queue with a consumer or messages, and every RPC endpoint (`rpc.<service>`: calls waiting = ready, being served = unacked). */
  async queueDepths(): Promise<QueueDepth[]> {
    const out: QueueDepth[] = [];
    for (const q of this.queues.values()) {
      const d = q.depth();
      if (d.consumers > 0 || d.ready > 0 || d.unacked > 0 || q.group) out.push(d);
    }
    for (const [service, entry] of this.rpc) {
      out.push({
        queue: `rpc.${service}`,
        ready: entry.waiting.length,
        unacked: entry.instances.reduce((n, i) => n + i.inFlight, 0),
        consumers: entry.instances.length,
        group: service,
      });
    }
    return out;
  }

  private dispatchRpc(entry: { instances: RpcInstance[]; waiting: WaitingCall[] }): void {
    while (entry.waiting.length > 0) {
      let best: RpcInstance | undefined;
      for (const i of entry.instances)
        if (i.inFlight < i.concurrency && (!best || i.inFlight < best.inFlight)) best = i;
      if (!best) return;
      const call = entry.waiting.shift()!;
      const instance = best;
      instance.inFlight++;
      this.answering.add(call);
      instance
        .server(call.body)
        .then(
          (reply) => {
            clearTimeout(call.timer);
            call.resolve(reply);
          },
          (err) => {
            clearTimeout(call.timer);
            call.reject(err);
          },
        )
        .finally(() => {
          this.answering.delete(call);
          instance.inFlight--;
          if (instance.inFlight === 0) for (const r of instance.idle.splice(0)) r();
          this.dispatchRpc(entry);
        });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const cancels: Promise<void>[] = [];
    for (const q of this.queues.values()) {
      for (const t of q.timers) clearTimeout(t);
      q.timers.clear();
      for (const c of [...q.consumers]) cancels.push(q.remove(c));
      q.pending.length = 0;
    }
    for (const [service, entry] of this.rpc) {
      for (const w of entry.waiting.splice(0)) {
        clearTimeout(w.timer);
        w.reject(new UnavailableError(`Transport closed before ${service} answered`, 'transport_closed'));
      }
      entry.instances.length = 0;
    }
    // Requests a server is still answering fail too (its late reply is dropped), as on a broker.
    for (const call of this.answering) {
      clearTimeout(call.timer);
      call.reject(new UnavailableError('Memory transport closed before the reply came', 'transport_closed'));
    }
    this.answering.clear();
    for (const u of this.unsettled)
      u.reject(new UnavailableError('Memory transport closed before the message was acknowledged', 'transport_closed'));
    this.unsettled.clear();
    await Promise.all(cancels);
  }

  private queue(name: string): MemoryQueue {
    let q = this.queues.get(name);
    if (!q) this.queues.set(name, (q = new MemoryQueue(name)));
    return q;
  }
}
