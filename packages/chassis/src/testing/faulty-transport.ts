/**
 * A transport wrapper that injects faults into chosen messages, for tests that break guarantees on
 * purpose: duplicate a delivery, delay it, drop it (as a lost acknowledgement: the broker delivers
 * it again), or fail publishes and RPC requests. Rules match by message type.
 */
import { UnavailableError } from '../errors.ts';
import type {
  Consumer,
  Delivery,
  MessageHandler,
  OutgoingMessage,
  PublishOptions,
  RpcServer,
  Settlement,
  SubscriptionSpec,
  Transport,
  TransportHealth,
} from '../transport/transport.ts';

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

  async publish(message: OutgoingMessage, options?: PublishOptions): Promise<void> {
    const fault = this.take(typeOf(message.body), ['fail-publish', 'delay']);
    if (fault?.kind === 'fail-publish') throw new UnavailableError('Injected publish failure', 'injected_fault');
    if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.ms));
    return this.inner.publish(message, options);
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
          const [first] = await Promise.all([
            handler(delivery),
            handler({ body: delivery.body, attempt: delivery.attempt + 1 }),
          ]);
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

// ---------------------------------------------------------------------------------------------
// Random faults from the environment (the chaos suite, test/chaos): SIMPLEBANK_FAULTS
// ---------------------------------------------------------------------------------------------

/** One random fault of a SIMPLEBANK_FAULTS spec: its kind, its probability per message, its delay. */
export interface RandomFault {
  kind: 'duplicate' | 'delay' | 'redeliver';
  probability: number;
  ms: number;
}

/**
 * Parses `duplicate:0.05,delay:0.05:200ms,redeliver:0.02` (kind:probability[:milliseconds]). `delay`
 * holds a delivery, publish or RPC request for ms (default 200); `redeliver` drops a delivery before
 * its handler, to come again after ms (default 100), as after a lost acknowledgement; `duplicate`
 * hands a delivery to the handler twice at once. Throws on anything else.
 */
export function parseFaultSpec(spec: string): RandomFault[] {
  return spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((part) => {
      const [kind, p, ms] = part.split(':');
      const probability = Number(p);
      if (kind !== 'duplicate' && kind !== 'delay' && kind !== 'redeliver')
        throw new Error(`SIMPLEBANK_FAULTS: unknown fault "${kind}" in "${part}"`);
      if (!(probability >= 0 && probability <= 1))
        throw new Error(`SIMPLEBANK_FAULTS: probability of "${part}" is not in [0, 1]`);
      const millis = ms === undefined ? (kind === 'delay' ? 200 : 100) : Number(ms.replace(/ms$/, ''));
      if (!Number.isFinite(millis) || millis < 0)
        throw new Error(`SIMPLEBANK_FAULTS: delay of "${part}" is not a number of ms`);
      return { kind, probability, ms: millis };
    });
}

/** mulberry32: a small seeded PRNG (repeatable fault decisions for a given seed). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A string's 32-bit FNV-1a hash (to derive one seed per service from the run's seed). */
export function hashSeed(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * Wraps `inner` in a FaultyTransport that fires the spec's faults at random (seeded by `seed` and the
 * service's name): each message type is drawn against each fault in turn. `onFault` hears of every
 * fault fired (the chaos suite appends them to a file, SIMPLEBANK_FAULTS_LOG).
 */
export function randomFaults(
  inner: Transport,
  options: {
    spec: string;
    seed: number;
    service: string;
    onFault?: (fault: { kind: RandomFault['kind']; type: string; ms?: number }) => void;
  },
): FaultyTransport {
  const transport = new FaultyTransport(inner);
  const random = seededRandom(hashSeed(`${options.seed}:${options.service}`));
  for (const f of parseFaultSpec(options.spec)) {
    if (f.probability <= 0) continue;
    // A predicate per rule: drawn once for each message the rule could apply to (and only then).
    const draw = (type: string) => {
      if (!type || random() >= f.probability) return false;
      options.onFault?.({ kind: f.kind, type, ...(f.kind === 'duplicate' ? {} : { ms: f.ms }) });
      return true;
    };
    if (f.kind === 'duplicate') transport.inject({ type: draw, fault: { kind: 'duplicate' } });
    else if (f.kind === 'redeliver')
      transport.inject({ type: draw, fault: { kind: 'drop-then-redeliver', redeliverAfterMs: f.ms } });
    else transport.inject({ type: draw, fault: { kind: 'delay', ms: f.ms } });
  }
  return transport;
}
