/**
 * Bulkheads per dependency: a concurrency limit per (service, target) in this process, with a
 * small bounded queue, built on cockatiel's BulkheadPolicy. Past the limit and the queue, a call is
 * refused at once with `UnavailableError(…, 'bulkhead_full')` (503, retryable): one slow
 * dependency cannot take every worker, and nothing waits in a queue that grows without bound.
 *
 * Exported as the gauge `simplebank_bulkhead_in_use{service,target}` (calls running now), read at
 * each scrape.
 */
import { metricName } from '../config/naming.ts';
import { BulkheadRejectedError, bulkhead, type BulkheadPolicy } from 'cockatiel';
import { UnavailableError } from '../errors.ts';
import type { Metrics } from '../observability/metrics.ts';

export interface BulkheadSettings {
  /** Calls running at once. */
  limit: number;
  /** Calls waiting for a slot; past it, a fast refusal. */
  queue: number;
}

export const DEFAULT_BULKHEAD_SETTINGS: BulkheadSettings = { limit: 32, queue: 64 };

export class Bulkhead {
  readonly policy: BulkheadPolicy;
  /** Metrics registries the use is exported to. */
  readonly metrics = new Set<Metrics>();

  constructor(
    readonly service: string,
    readonly target: string,
    readonly settings: BulkheadSettings,
  ) {
    this.policy = bulkhead(Math.max(1, settings.limit), Math.max(0, settings.queue));
  }

  /** Calls running now. */
  get inUse(): number {
    return this.settings.limit - this.policy.executionSlots;
  }

  /** Calls waiting for a slot now. */
  get queued(): number {
    return this.settings.queue - this.policy.queueSlots;
  }

  /** Runs `fn` in a slot (waiting in the queue if need be); throws `UnavailableError` with code `bulkhead_full` past both. */
  async execute<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await this.policy.execute(fn);
    } catch (err) {
      if (err instanceof BulkheadRejectedError)
        throw new UnavailableError(
          `${this.target} bulkhead full (${this.settings.limit} running, ${this.settings.queue} queued)`,
          'bulkhead_full',
          err,
        );
      throw err;
    }
  }
}

/** The bulkheads of this process, per (service, target). */
export class BulkheadRegistry {
  private readonly bulkheads = new Map<string, Bulkhead>();

  /** The bulkhead of `service` towards `target`, made on first use from `settings`; with `metrics`, exported there. */
  get(service: string, target: string, settings: Partial<BulkheadSettings> = {}, metrics?: Metrics): Bulkhead {
    const key = `${service}\u0000${target}`;
    let b = this.bulkheads.get(key);
    if (!b) {
      b = new Bulkhead(service, target, { ...DEFAULT_BULKHEAD_SETTINGS, ...settings });
      this.bulkheads.set(key, b);
    }
    if (metrics && !b.metrics.has(metrics)) {
      b.metrics.add(metrics);
      this.export(metrics);
    }
    return b;
  }

  find(service: string, target: string): Bulkhead | undefined {
    return this.bulkheads.get(`${service}\u0000${target}`);
  }

  /** Forgets `service`'s (it stopped; started again in this process, it makes new ones). */
  forget(service: string): void {
    for (const [key, b] of this.bulkheads) if (b.service === service) this.bulkheads.delete(key);
  }

  /** Forgets every bulkhead (tests). */
  clear(): void {
    this.bulkheads.clear();
  }

  private export(metrics: Metrics): void {
    const registry = this;
    metrics.gauge(
      metricName('bulkhead_in_use'),
      'Calls running per dependency bulkhead',
      ['service', 'target'],
      function () {
        for (const b of registry.bulkheads.values()) {
          if (b.metrics.has(metrics)) this.set({ service: b.service, target: b.target }, b.inUse);
        }
      },
    );
  }
}

/** The registry of this process. */
export const bulkheads = new BulkheadRegistry();
