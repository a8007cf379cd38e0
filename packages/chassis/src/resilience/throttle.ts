/**
 * Client-side adaptive throttling (Google's SRE book, "Handling Overload"): a caller whose target
 * has been refusing a method for load (`overloaded`) refuses part of its own calls to that method
 * itself, without sending them, with probability
 *
 *     max(0, (requests − K × accepts) / (requests + 1))
 *
 * over the last WINDOW_MS, where `requests` are the calls answered by the target plus those refused
 * here, and `accepts` the answers that were not `overloaded`. While the target accepts everything,
 * nothing is refused here; past its capacity the target still sees about K times what it accepts, so
 * it stays busy, and the rest is refused at the caller, where a refusal costs least (issue 8: the
 * RPC hop and the provider's own refusal were about two fifths of a refused order's CPU). As soon as
 * the target accepts again, the accepts outweigh the refusals within the window.
 *
 * One throttle per (caller, target, method) in a process: a method refused for load says nothing
 * about the target's other methods. Calls that never reached the target (an open breaker, a full
 * bulkhead, a passed deadline) are not counted.
 */
const K = 2;
const BUCKET_MS = 100;
const BUCKETS = 10;
/** The window the counts cover. */
export const THROTTLE_WINDOW_MS = BUCKET_MS * BUCKETS;

export class Throttle {
  private readonly requests = new Array<number>(BUCKETS).fill(0);
  private readonly accepts = new Array<number>(BUCKETS).fill(0);
  /** The bucket of the current time: its number since the epoch, counted in BUCKET_MS. */
  private current = 0;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {}

  /** Whether this call may go to the target; a call refused here counts as a request not accepted. */
  admit(): boolean {
    const i = this.bucket();
    let requests = 0;
    let accepts = 0;
    for (let b = 0; b < BUCKETS; b++) {
      requests += this.requests[b]!;
      accepts += this.accepts[b]!;
    }
    const refuse = (requests - K * accepts) / (requests + 1);
    if (refuse <= 0 || this.random() >= refuse) return true;
    this.requests[i]!++;
    return false;
  }

  /** The target answered a call this throttle admitted: `overloaded` or anything else. */
  answered(overloaded: boolean): void {
    const i = this.bucket();
    this.requests[i]!++;
    if (!overloaded) this.accepts[i]!++;
  }

  /** The index of the current bucket, after clearing the buckets that fell out of the window. */
  private bucket(): number {
    const current = Math.floor(this.now() / BUCKET_MS);
    const passed = Math.min(current - this.current, BUCKETS);
    for (let step = 1; step <= passed; step++) {
      const b = (this.current + step) % BUCKETS;
      this.requests[b] = 0;
      this.accepts[b] = 0;
    }
    if (passed > 0) this.current = current;
    return current % BUCKETS;
  }
}

/** The process's throttles, one per (caller, target, method). */
class ThrottleRegistry {
  private readonly byService = new Map<string, Map<string, Throttle>>();

  get(service: string, target: string, method: string): Throttle {
    let own = this.byService.get(service);
    if (!own) this.byService.set(service, (own = new Map()));
    const key = `${target}\u0000${method}`;
    let throttle = own.get(key);
    if (!throttle) own.set(key, (throttle = new Throttle()));
    return throttle;
  }

  /** Forgets `service`'s (it stopped; started again in this process, it refuses nothing at first). */
  forget(service: string): void {
    this.byService.delete(service);
  }
}

export const throttles = new ThrottleRegistry();
