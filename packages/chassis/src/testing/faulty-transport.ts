/**
 * A transport wrapper that injects faults into chosen messages, for tests that break guarantees on
 * purpose: duplicate a delivery, delay it, drop it (as a lost acknowledgement: the broker delivers
 * it again), or fail publishes and RPC requests. Rules match by message type.
 */
import { UnavailableError } from '../errors.ts';
import type { Consumer, Delivery, MessageHandler, OutgoingMessage, RpcServer, Settlement, SubscriptionSpec, Transport, TransportHealth } from '../transport/transport.ts';

export type Fault =
  /** Hands the delivery to the handler twice (the second time as a redelivery). */
  | { kind: 'duplicate' }
  /** Holds the delivery (or request) this long first. */
  | { kind: 'delay'; ms: number }
  /** The first delivery never reaches the handler and is redelivered, as after a lost ack. */
  | { kind: 'drop-then-redeliver'; redeliverAfterMs?: number }
  /** Publishing (or calling) fails with UnavailableError. */
  | { kind: 'fail-publish' }
  | { kind: 'fail-request' };

export interface FaultRule {
  /** Matches the envelope's `type` (exact, or a predicate). */
  type: string | ((type: string) => boolean);
  fault: Fault;
  /** How many times the rule fires; unlimited when omitted. */
  times?: number;
}

function typeOf(body: string): string {
  try {
    return String((JSON.parse(body) as { type?: unknown }).type ?? '');
  } catch {
    return '';
  }
}

export class FaultyTransport implements Transport {
  readonly kind: string;
  private readonly rules: Array<FaultRule & { fired: number }> = [];
  /** Faults fired, for assertions that the test did break what it meant to. */
  readonly fired: Array<{ type: string; fault: Fault['kind'] }> = [];

  constructor(private readonly inner: Transport) {
    this.kind = `faulty(${inner.kind})`;
  }

  inject(rule: FaultRule): void {
    this.rules.push({ ...rule, fired: 0 });
  }

  clear(): void {
    this.rules.length = 0;
  }

  private take(type: string, kinds: Fault['kind'][]): Fault | undefined {
    for (const rule of this.rules) {
      if (!kinds.includes(rule.fault.kind)) continue;
      const matches = typeof rule.type === 'string' ? rule.type === type : rule.type(type);
      if (!matches || (rule.times !== undefined && rule.fired >= rule.times)) continue;
      rule.fired++;
      this.fired.push({ type, fault: rule.fault.kind });
      return rule.fault;
    }
    return undefined;
  }

  connect(): Promise<void> {
    return this.inner.connect();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  health(): TransportHealth {
    return this.inner.health();
  }

  queueDepths(): ReturnType<NonNullable<Transport['queueDepths']>> {
    return this.inner.queueDepths?.() ?? Promise.resolve([]);
  }

  async publish(message: OutgoingMessage): Promise<void> {
    const fault = this.take(typeOf(message.body), ['fail-publish', 'delay']);
    if (fault?.kind === 'fail-publish') throw new UnavailableError('Injected publish failure', 'injected_fault');
    if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.ms));
    return this.inner.publish(message);
  }

  subscribe(spec: SubscriptionSpec, handler: MessageHandler): Promise<Consumer> {
    const wrapped: MessageHandler = async (delivery: Delivery): Promise<Settlement> => {
      const fault = this.take(typeOf(delivery.body), ['duplicate', 'delay', 'drop-then-redeliver']);
      if (!fault) return handler(delivery);
      switch (fault.kind) {
        case 'delay':
          await new Promise((r) => setTimeout(r, fault.ms));
          return handler(delivery);
        case 'drop-then-redeliver':
          return { outcome: 'retry', delayMs: fault.redeliverAfterMs ?? 10 };
        case 'duplicate': {
          // Both copies run concurrently, as two deliveries racing on two instances would.
          const [first] = await Promise.all([handler(delivery), handler({ body: delivery.body, attempt: delivery.attempt + 1 })]);
          return first;
        }
        default:
          return handler(delivery);
      }
    };
    return this.inner.subscribe(spec, wrapped);
  }

  serve(service: string, server: RpcServer, options: { concurrency: number }): Promise<Consumer> {
    return this.inner.serve(service, server, options);
  }

  async request(service: string, body: string, options: { timeoutMs: number }): Promise<string> {
    const fault = this.take(typeOf(body), ['fail-request', 'delay']);
    if (fault?.kind === 'fail-request') throw new UnavailableError('Injected request failure', 'injected_fault');
    if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.ms));
    return this.inner.request(service, body, options);
  }
}
