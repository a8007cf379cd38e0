/**
 * orders' business metrics: orders requested (at placement), placed on the exchange, and ended by
 * outcome and reason. Counted after their transaction commits, in the registry of the work's
 * context (a step's `ctx.metrics` too). The saga gauges (instances, oldest active) come from the
 * chassis's saga runner.
 */
import type { Metrics, Worker } from '@simplebank/chassis';

const SERVICE = 'orders';
const TERMINAL = new Set(['filled', 'rejected', 'failed', 'canceled', 'expired']);

type Commits = { afterCommit(fn: () => void): void };

const counters = (metrics: Metrics) => ({
  requested: metrics.counter('simplebank_orders_requested_total', 'Orders accepted at placement (pending)', [
    'service',
  ]),
  placed: metrics.counter('simplebank_orders_placed_total', 'Orders placed on the exchange', ['service']),
  outcomes: metrics.counter('simplebank_orders_total', 'Orders that reached a terminal status, by outcome and reason', [
    'service',
    'outcome',
    'reason',
  ]),
});

/** Counts the order's new status (after its transaction commits): placed, or a terminal outcome. */
export function countStatus(metrics: Metrics, tx: Commits, status: string, reason: string | null | undefined): void {
  const m = counters(metrics);
  if (status === 'placed') tx.afterCommit(() => m.placed.inc({ service: SERVICE }));
  else if (TERMINAL.has(status))
    tx.afterCommit(() => m.outcomes.inc({ service: SERVICE, outcome: status, reason: reason ?? 'none' }));
}

/** Counts an order accepted by placeOrder (after its transaction commits). */
export function countRequested(metrics: Metrics, tx: Commits): void {
  const m = counters(metrics);
  tx.afterCommit(() => m.requested.inc({ service: SERVICE }));
}

/** Zero-valued series of the counters when the service starts, so the first scrape already has them. */
export const ordersMetrics: Worker = {
  name: 'orders-metrics',
  start(ctx) {
    const m = counters(ctx.metrics);
    m.requested.inc({ service: SERVICE }, 0);
    m.placed.inc({ service: SERVICE }, 0);
    m.outcomes.inc({ service: SERVICE, outcome: 'filled', reason: 'none' }, 0);
    return async () => {};
  },
};
