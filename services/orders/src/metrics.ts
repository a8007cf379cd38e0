/**
 * orders' business metrics: orders requested (at placement), placed on the exchange, and ended by
 * outcome and reason; and its sagas' instances and the age of the oldest active one (saga stuck).
 *
 * Saga steps get no `metrics` in their context, so the worker below binds this process's registry
 * when the service starts (the last started instance wins: one per process outside tests).
 */
import type { Metrics, Worker } from '@simplebank/chassis';

const SERVICE = 'orders';
const ACTIVE = ['running', 'waiting', 'compensating'] as const;

type Bound = ReturnType<typeof bind>;

let bound: Bound | undefined;

function bind(metrics: Metrics) {
  return {
    requested: metrics.counter('simplebank_orders_requested_total', 'Orders accepted at placement (pending)', ['service']),
    placed: metrics.counter('simplebank_orders_placed_total', 'Orders placed on the exchange', ['service']),
    outcomes: metrics.counter('simplebank_orders_total', 'Orders that reached a terminal status, by outcome and reason', ['service', 'outcome', 'reason']),
  };
}

/** Counts the order's new status (after its transaction commits): placed, or a terminal outcome. */
export function countStatus(tx: { afterCommit(fn: () => void): void }, status: string, reason: string | null | undefined): void {
  const m = bound;
  if (!m) return;
  if (status === 'placed') tx.afterCommit(() => m.placed.inc({ service: SERVICE }));
  else if (status === 'filled' || status === 'rejected' || status === 'failed' || status === 'canceled' || status === 'expired') {
    tx.afterCommit(() => m.outcomes.inc({ service: SERVICE, outcome: status, reason: reason ?? 'none' }));
  }
}

/** Counts an order accepted by placeOrder (after its transaction commits). */
export function countRequested(metrics: Metrics, tx: { afterCommit(fn: () => void): void }): void {
  const m = bound ?? (bound = bind(metrics));
  tx.afterCommit(() => m.requested.inc({ service: SERVICE }));
}

/** Binds the counters and registers the saga gauges (read from the saga table before each scrape). */
export function ordersMetrics(sagaTypes: readonly string[]): Worker {
  return {
  name: 'orders-metrics',
  start(ctx) {
    const mine = bind(ctx.metrics);
    bound = mine;
    // Zero-valued series for the known statuses, so the first scrape already has them.
    mine.requested.inc({ service: SERVICE }, 0);
    mine.placed.inc({ service: SERVICE }, 0);
    mine.outcomes.inc({ service: SERVICE, outcome: 'filled', reason: 'none' }, 0);
    const oldest = ctx.metrics.gauge(
      'simplebank_saga_oldest_active_age_seconds',
      'Age of the oldest saga instance still active (running, waiting or compensating), by type and status; 0 when none',
      ['service', 'saga_type', 'status'],
    );
    const instances = ctx.metrics.gauge('simplebank_saga_instances', 'Saga instances by type and status', ['service', 'saga_type', 'status']);
    const remove = ctx.metrics.addCollector(async () => {
      const stats = await ctx.sagas.stats();
      for (const s of stats) instances.set({ service: ctx.service, saga_type: s.type, status: s.status }, s.count);
      const types = new Set([...sagaTypes, ...stats.map((s) => s.type)]);
      for (const type of types) {
        for (const status of ACTIVE) {
          const row = stats.find((s) => s.type === type && s.status === status);
          oldest.set({ service: ctx.service, saga_type: type, status }, row ? row.oldestAgeSeconds : 0);
        }
      }
    });
    return async () => {
      remove();
      if (bound === mine) bound = undefined;
    };
  },
  };
}
