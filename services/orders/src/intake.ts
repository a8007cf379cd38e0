/**
 * Admission control of new orders (issue 8): past capacity, a new order is refused at once with
 * `overloaded` (503, Retry-After at the gateway) instead of being accepted and starving. Capacity
 * is an adaptive limit on orders still `pending` (accepted, not yet placed on the exchange or
 * ended), learned from how long orders stay pending: an order that takes longer than the target
 * to leave `pending` means orders queue inside SimpleBank, and the limit shrinks.
 *
 * The pending count is read from the database (so every instance of orders sees every instance's
 * orders), at most every REFRESH_MS while orders arrive, plus what this instance accepted since.
 */
import { AdaptiveLimit, OverloadedError, type Database, type Metrics } from '@simplebank/chassis';
import { ordersSettings } from './settings.ts';

const REFRESH_MS = 100;

export class OrderIntake {
  private limit: AdaptiveLimit | undefined;
  private pending = 0;
  private acceptedSinceRefresh = 0;
  private refreshedAt = 0;
  private refreshing: Promise<void> | undefined;

  private adaptive(): AdaptiveLimit {
    const s = ordersSettings.value;
    return (this.limit ??= new AdaptiveLimit({ initial: s.ORDER_INTAKE_INITIAL_LIMIT, min: s.ORDER_INTAKE_MIN_LIMIT, max: s.ORDER_INTAKE_MAX_LIMIT, targetMs: s.ORDER_INTAKE_TARGET_MS }));
  }

  /** Admits one new order, or refuses it with OverloadedError. */
  async admit(db: Database, metrics: Metrics): Promise<void> {
    if (Date.now() - this.refreshedAt >= REFRESH_MS) await (this.refreshing ??= this.refresh(db).finally(() => (this.refreshing = undefined)));
    const limit = this.adaptive().limit;
    metrics.gauge('simplebank_order_intake_limit', 'Orders that may be pending at once (adaptive admission limit)', ['service']).set({ service: 'orders' }, limit);
    if (this.pending + this.acceptedSinceRefresh >= limit) {
      metrics.counter('simplebank_orders_refused_total', 'New orders refused by admission control', ['service']).inc({ service: 'orders' });
      throw new OverloadedError(`SimpleBank is taking as many orders as it can finish (${limit} in progress); try again shortly`);
    }
    this.acceptedSinceRefresh++;
  }

  /** An order left `pending` after `latencyMs`. */
  left(latencyMs: number): void {
    this.adaptive().sample(latencyMs, this.pending + this.acceptedSinceRefresh);
  }

  private async refresh(db: Database): Promise<void> {
    const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM orders WHERE status = 'pending'");
    this.pending = rows[0]?.n ?? 0;
    this.acceptedSinceRefresh = 0;
    this.refreshedAt = Date.now();
  }
}

/** One per process: orders accepted here and the latencies seen here. */
export const orderIntake = new OrderIntake();
