/**
 * Admission control of new orders (issue 8): past capacity, a new order is refused at once with
 * `overloaded` (503, Retry-After at the gateway) instead of being accepted and starving. Capacity
 * is an adaptive limit on orders still `pending` (accepted, not yet placed on the exchange or
 * ended), learned from how long orders stay pending: an order that takes longer than the target
 * to leave `pending` means orders queue inside SimpleBank, and the limit shrinks.
 *
 * The pending count is read from the database (so every instance of orders sees every instance's
 * orders), at most every REFRESH_MS while orders arrive, plus what this instance accepted since.
 * The decision does not wait for that read: under load the pool is busy, and a refusal that waits
 * for a connection is a slow refusal (it took 0.5–1.2 s). The read runs in the background; the
 * decision uses the last count read plus what was accepted since. One exception: a count older
 * than a refresh that would refuse (the first order after a quiet spell, when the count still holds
 * the last burst) waits for the fresh count; otherwise that order would be refused with room free.
 */
import { AdaptiveLimit, OverloadedError, type Database, type Metrics } from '@simplebank/chassis';
import { ordersSettings } from './settings.ts';

const REFRESH_MS = 100;

export class OrderIntake {
  private limit: AdaptiveLimit | undefined;
  private pending = 0;
  private acceptedSinceRefresh = 0;
  /** Of acceptedSinceRefresh: those accepted before the last read began (it may or may not count them). */
  private countedTwice = 0;
  private refreshedAt = 0;
  private refreshing: Promise<void> | undefined;

  private adaptive(): AdaptiveLimit {
    const s = ordersSettings.value;
    return (this.limit ??= new AdaptiveLimit({
      initial: s.ORDER_INTAKE_INITIAL_LIMIT,
      min: s.ORDER_INTAKE_MIN_LIMIT,
      max: s.ORDER_INTAKE_MAX_LIMIT,
      targetMs: s.ORDER_INTAKE_TARGET_MS,
    }));
  }

  /** Admits one new order, or refuses it with OverloadedError; waits for nothing (no pool, no query). */
  async admit(db: Database, metrics: Metrics): Promise<void> {
    const stale = Date.now() - this.refreshedAt >= REFRESH_MS;
    if (stale && !this.refreshing) {
      this.refreshing = this.refresh(db)
        .catch(() => {}) // the next admission tries again; meanwhile the last count stands
        .finally(() => (this.refreshing = undefined));
    }
    const limit = this.adaptive().limit;
    metrics
      .gauge('simplebank_order_intake_limit', 'Orders that may be pending at once (adaptive admission limit)', [
        'service',
      ])
      .set({ service: 'orders' }, limit);
    // A count older than a refresh may still hold a burst that has long cleared (after a quiet
    // spell): the admission that found it so waits for the fresh count before refusing. Under load
    // the count is read every REFRESH_MS, so at most one refusal per REFRESH_MS waits; the rest
    // decide at once.
    if (stale && this.pending + this.acceptedSinceRefresh >= limit) await this.refreshing;
    if (this.pending + this.acceptedSinceRefresh >= limit) {
      metrics
        .counter('simplebank_orders_refused_total', 'New orders refused by admission control', ['service'])
        .inc({ service: 'orders' });
      throw new OverloadedError(
        `SimpleBank is taking as many orders as it can finish (${limit} in progress); try again shortly`,
      );
    }
    this.acceptedSinceRefresh++;
  }

  /** An order left `pending` after `latencyMs`. */
  left(latencyMs: number): void {
    this.adaptive().sample(latencyMs, this.pending + this.acceptedSinceRefresh);
  }

  private async refresh(db: Database): Promise<void> {
    // An order accepted just before the read may not be committed yet, so not in its count: what
    // was accepted since the previous read began stays counted on top (counted twice for a moment,
    // never missed: the count errs on the side of refusing).
    const sincePrevious = this.acceptedSinceRefresh;
    this.refreshedAt = Date.now();
    const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM orders WHERE status = 'pending'");
    this.pending = rows[0]?.n ?? 0;
    this.acceptedSinceRefresh -= this.countedTwice;
    this.countedTwice = sincePrevious - this.countedTwice;
  }

  /** The background read of the pending count, if one is running (tests). */
  get refreshInProgress(): Promise<void> | undefined {
    return this.refreshing;
  }
}

/** One per process: orders accepted here and the latencies seen here. */
export const orderIntake = new OrderIntake();
