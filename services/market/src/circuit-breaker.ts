/**
 * A small circuit breaker per exchange: closed until `threshold` consecutive failures, then open
 * (requests wait) for a back-off that doubles each time a half-open probe fails; after it one probe
 * is let through (half-open): a success closes the breaker, a failure opens it again. Pure: the
 * caller passes the clock.
 */
export interface BreakerPolicy {
  threshold: number;
  openMs: number;
  maxOpenMs: number;
}

export const DEFAULT_BREAKER: BreakerPolicy = { threshold: 5, openMs: 500, maxOpenMs: 10_000 };

export class CircuitBreaker {
  private failures = 0;
  private opens = 0;
  private openUntil = 0;
  private probing = false;

  constructor(private readonly policy: BreakerPolicy = DEFAULT_BREAKER) {}

  get state(): 'closed' | 'open' | 'half-open' {
    if (this.opens === 0) return 'closed';
    return this.probing ? 'half-open' : 'open';
  }

  /** Whether a request may go out now; in half-open, only one probe at a time. */
  allow(now: number): boolean {
    if (this.opens === 0) return true;
    if (this.probing || now < this.openUntil) return false;
    this.probing = true;
    return true;
  }

  /** When a waiting request should look again. */
  retryAt(now: number): number {
    return this.probing ? now + this.policy.openMs : Math.max(now, this.openUntil);
  }

  success(): void {
    this.failures = 0;
    this.opens = 0;
    this.probing = false;
  }

  failure(now: number): void {
    this.failures++;
    if (this.probing || (this.opens === 0 && this.failures >= this.policy.threshold)) {
      this.probing = false;
      this.opens++;
      this.openUntil = now + Math.min(this.policy.maxOpenMs, this.policy.openMs * 2 ** (this.opens - 1));
    }
  }
}
