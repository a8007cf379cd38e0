/**
 * Load shedding by concurrency: a service serves at most `maxInFlight` RPC requests at once, lets at
 * most `maxQueue` more wait — each for at most `maxQueueWaitMs` — and refuses the rest at once with
 * `overloaded` (503, retryable). A fast refusal, never a queue that grows without bound: the caller
 * (the gateway) turns it into 503 with Retry-After, and the service recovers by itself when load drops.
 */
import { defineSettings, env, type ConfigOf } from '../config/env.ts';
import { UnavailableError } from '../errors.ts';

export const sheddingSettings = defineSettings({
  /** RPC requests a service instance works on at once. */
  RPC_MAX_IN_FLIGHT: env.integer({ default: 256, min: 1, max: 100_000 }),
  /** RPC requests allowed to wait for a free slot; past it, refused at once. */
  RPC_MAX_QUEUE: env.integer({ default: 128, min: 0, max: 100_000 }),
  /** How long a request may wait for a slot before it is refused (ms). */
  RPC_MAX_QUEUE_WAIT_MS: env.integer({ default: 100, min: 0, max: 60_000 }),
});

export interface SheddingOptions {
  maxInFlight: number;
  maxQueue: number;
  maxQueueWaitMs: number;
}

/** The shedder's options: the process's settings (loaded at start with every other), then `overrides`. */
export function sheddingOptions(
  overrides: Partial<SheddingOptions> = {},
  s: ConfigOf<typeof sheddingSettings.spec> = sheddingSettings.value,
): SheddingOptions {
  return {
    maxInFlight: overrides.maxInFlight ?? s.RPC_MAX_IN_FLIGHT,
    maxQueue: overrides.maxQueue ?? s.RPC_MAX_QUEUE,
    maxQueueWaitMs: overrides.maxQueueWaitMs ?? s.RPC_MAX_QUEUE_WAIT_MS,
  };
}

export class OverloadedError extends UnavailableError {
  constructor(message: string) {
    super(message, 'overloaded');
  }
}

interface Waiter {
  admit: () => void;
  timer: NodeJS.Timeout;
}

/** A release function: call it exactly once when the admitted work is done. */
export type Release = () => void;

export class LoadShedder {
  private inFlightCount = 0;
  private readonly waiting: Waiter[] = [];
  readonly options: SheddingOptions;

  constructor(
    options: SheddingOptions,
    private readonly what = 'service',
  ) {
    this.options = {
      maxInFlight: Math.max(1, options.maxInFlight),
      maxQueue: Math.max(0, options.maxQueue),
      maxQueueWaitMs: Math.max(0, options.maxQueueWaitMs),
    };
  }

  get inFlight(): number {
    return this.inFlightCount;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Requests held at once: the ones served plus the ones allowed to wait. */
  get capacity(): number {
    return this.options.maxInFlight + this.options.maxQueue;
  }

  /**
   * The concurrency (prefetch) to ask of the transport: more than `capacity`, so that the excess
   * reaches the shedder and is refused at once instead of waiting in the transport; a refusal holds
   * its transport slot only for a moment.
   */
  get transportConcurrency(): number {
    return 2 * this.capacity;
  }

  /**
   * Admits the caller (resolves with its release) or refuses it with OverloadedError: at once when
   * the queue is full, after `maxQueueWaitMs` when no slot freed up in time.
   */
  acquire(): Promise<Release> {
    if (this.inFlightCount < this.options.maxInFlight && this.waiting.length === 0) {
      this.inFlightCount++;
      return Promise.resolve(this.releaser());
    }
    if (this.waiting.length >= this.options.maxQueue || this.options.maxQueueWaitMs === 0) {
      return Promise.reject(
        new OverloadedError(
          `${this.what} is overloaded (${this.inFlightCount} requests in progress); try again shortly`,
        ),
      );
    }
    return new Promise<Release>((resolve, reject) => {
      const waiter: Waiter = {
        admit: () => {
          clearTimeout(waiter.timer);
          this.inFlightCount++;
          resolve(this.releaser());
        },
        timer: setTimeout(() => {
          const i = this.waiting.indexOf(waiter);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(
            new OverloadedError(
              `${this.what} is overloaded (no free slot within ${this.options.maxQueueWaitMs} ms); try again shortly`,
            ),
          );
        }, this.options.maxQueueWaitMs),
      };
      this.waiting.push(waiter);
    });
  }

  private releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlightCount--;
      while (this.inFlightCount < this.options.maxInFlight && this.waiting.length > 0) this.waiting.shift()!.admit();
    };
  }
}
