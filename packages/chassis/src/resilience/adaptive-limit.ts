/**
 * An adaptive concurrency limit (AIMD, as in Netflix's concurrency-limits): how much work may be in
 * progress at once, learned from how long the work takes rather than set by hand. Every finished
 * piece of work is a sample: slower than `targetMs` means work is queueing somewhere, and the limit
 * shrinks multiplicatively (at most once per `targetMs`, so one burst of late samples is one
 * decrease); otherwise, while the limit is actually being used, it grows by one. Admission control
 * refuses new work past the limit, at once, so what was accepted is served in time instead of
 * starving behind work that cannot be finished.
 *
 * "Slower than the target" is relative to the machine: a sample is late when it takes longer than
 * `targetMs` and longer than twice the fastest sample of the last minute or so (the latency of this
 * work with nothing queued, as Netflix's gradient limit compares with its minimum RTT). On a slow or
 * busy machine whose unloaded latency is already near the target, a fixed target alone shrank the
 * limit while the system was keeping up (`bench:count` at 15 orders/s on a fresh system was refused).
 */
export interface AdaptiveLimitOptions {
  initial: number;
  min: number;
  max: number;
  /** Work that takes longer than this means the system is past its capacity. */
  targetMs: number;
  /** Multiplier applied on a decrease (0–1). Default 0.9. */
  backoff?: number;
  /** How long the fastest sample counts as the unloaded latency (two windows of this, ms). Default 30 000. */
  baselineWindowMs?: number;
}

export class AdaptiveLimit {
  private value: number;
  private lastDecrease = 0;
  private readonly backoff: number;
  /** Fastest sample of the current and of the previous window. */
  private fastest: { current: number; previous: number; windowStart: number } = {
    current: Infinity,
    previous: Infinity,
    windowStart: 0,
  };

  constructor(
    private readonly options: AdaptiveLimitOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.value = Math.min(options.max, Math.max(options.min, options.initial));
    this.backoff = options.backoff ?? 0.9;
  }

  get limit(): number {
    return Math.floor(this.value);
  }

  /** A finished piece of work that took `latencyMs`, with `inFlight` pieces in progress when it ended. */
  sample(latencyMs: number, inFlight: number): void {
    const baseline = this.baseline(latencyMs);
    if (latencyMs > Math.max(this.options.targetMs, 2 * baseline)) {
      const at = this.now();
      if (at - this.lastDecrease < this.options.targetMs) return;
      this.lastDecrease = at;
      this.value = Math.max(this.options.min, this.value * this.backoff);
      return;
    }
    // Grow only when the limit is what holds the work back, not while it is mostly unused.
    if (inFlight * 2 >= this.value) this.value = Math.min(this.options.max, this.value + 1);
  }

  /** The fastest recent sample (this one included): the latency with nothing queued. */
  private baseline(latencyMs: number): number {
    const f = this.fastest;
    const at = this.now();
    const windowMs = this.options.baselineWindowMs ?? 30_000;
    if (at - f.windowStart >= windowMs) {
      f.previous = f.current;
      f.current = Infinity;
      f.windowStart = at;
    }
    f.current = Math.min(f.current, latencyMs);
    return Math.min(f.current, f.previous);
  }
}
