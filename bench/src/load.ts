/**
 * One open-loop load step: market buy orders offered at a fixed rate for a fixed time. The sender
 * follows its schedule whatever the answers do (it never waits for one before sending the next) and
 * records how late it was against that schedule; a late sender means the figures understate the load.
 * Afterwards the accepted orders are polled until terminal (or `drainMs` pass), and order → filled is
 * read from each order's own history (pending `at` → filled `at`), not from when we saw it.
 */
import { performance } from 'node:perf_hooks';
import type { Trader } from './bank.ts';
import { Latency, round, type LatencySummary } from './hist.ts';
import { sleep, type Client } from './http.ts';
import { pollOrders } from './poll.ts';

export interface StepOptions {
  label: string;
  rate: number;
  durationMs: number;
  traders: Trader[];
  assets: string[];
  quantity: string;
  /** How long after the step the accepted orders may take to become terminal. */
  drainMs: number;
  /** A fill counts toward filled/s when it happened by the step's end plus this (the p99 bound). */
  graceMs: number;
  /** The knee's p99 bound for order → filled, ms. */
  p99BoundMs: number;
  runId: string;
  /** Called when the last order has been sent (before the answers and the drain): the end of the load window. */
  onSent?: () => void;
}

export interface StepResult {
  label: string;
  offeredPerSec: number;
  durationSec: number;
  sent: number;
  /** How far behind its schedule the sender was when it sent, ms. */
  senderLateness: { p99: number | null; max: number | null };
  /** Answers by status code ("error" for no answer at all). */
  statuses: Record<string, number>;
  /** 429/503 answers without a Retry-After header. */
  refusedWithoutRetryAfter: number;
  /** Request → 202. */
  accept: LatencySummary;
  /** Request → 429/503 (how fast the excess is refused). */
  refusal: LatencySummary;
  accepted: number;
  acceptedPerSec: number;
  /** Accepted orders by final status (`pending`, `placed`: not terminal when we stopped polling). */
  outcomes: Record<string, number>;
  filled: number;
  /** Fills by the step's end + graceMs, per second of the step. */
  filledPerSec: number;
  orderToFilled: LatencySummary;
  /** Accepted orders not terminal `drainMs` after the step's end. */
  pendingAfterDrain: number;
  allTerminal: boolean;
  /** Seconds from the step's end until every accepted order was terminal (or the drain bound). */
  drainSec: number;
  /** filled/s ≥ 0.95 × offered and order → filled p99 ≤ the bound. */
  passed: boolean;
}

export async function runStep(client: Client, o: StepOptions): Promise<StepResult> {
  const total = Math.max(1, Math.round((o.rate * o.durationMs) / 1000));
  const interval = 1000 / o.rate;
  const lateness = new Latency();
  const accept = new Latency();
  const refusal = new Latency();
  const statuses: Record<string, number> = {};
  let refusedWithoutRetryAfter = 0;
  const accepted: { id: string; trader: Trader }[] = [];
  const inflight = new Set<Promise<void>>();

  const send = (i: number) => {
    // Spread orders over every trader, and each trader's orders over the assets.
    const trader = o.traders[i % o.traders.length]!;
    const assetId = o.assets[Math.floor(i / o.traders.length) % o.assets.length]!;
    const body = JSON.stringify({ accountId: trader.accountId, assetId, side: 'buy', quantity: o.quantity });
    const headers = {
      'content-type': 'application/json',
      authorization: `Bearer ${trader.token}`,
      'idempotency-key': `bench-${o.runId}-${o.label}-${i}`,
    };
    const start = performance.now();
    const p = client.pool
      .request({ origin: client.origin, method: 'POST', path: '/v1/orders', headers, body })
      .then(
        async (res) => {
          const text = await res.body.text();
          const ms = performance.now() - start;
          statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
          if (res.statusCode === 202) {
            accept.record(ms);
            accepted.push({ id: (JSON.parse(text) as { id: string }).id, trader });
          } else if (res.statusCode === 429 || res.statusCode === 503) {
            refusal.record(ms);
            if (res.headers['retry-after'] === undefined) refusedWithoutRetryAfter++;
          }
        },
        () => {
          statuses.error = (statuses.error ?? 0) + 1;
        },
      )
      .finally(() => inflight.delete(p));
    inflight.add(p);
  };

  const t0 = performance.now() + 5;
  const startedAt = Date.now() + 5;
  let i = 0;
  while (i < total) {
    const now = performance.now();
    while (i < total && t0 + i * interval <= now) {
      lateness.record(now - (t0 + i * interval));
      send(i++);
    }
    if (i < total) await sleep(Math.max(0, t0 + i * interval - performance.now()));
  }
  const endedAt = startedAt + o.durationMs;
  o.onSent?.();
  await Promise.all([...inflight]);

  const polled = await pollOrders(client, accepted, { startedAt, deadline: Math.max(Date.now(), endedAt) + o.drainMs });
  const orderToFilled = new Latency();
  let filledInTime = 0;
  for (const f of polled.fills) {
    orderToFilled.record(f.filledAt - f.pendingAt);
    if (f.filledAt <= endedAt + o.graceMs) filledInTime++;
  }
  const durationSec = o.durationMs / 1000;
  const filledPerSec = round(filledInTime / durationSec);
  const o2f = orderToFilled.summary();
  const late = lateness.summary();
  return {
    label: o.label,
    offeredPerSec: o.rate,
    durationSec,
    sent: total,
    senderLateness: { p99: late.p99, max: late.max },
    statuses,
    refusedWithoutRetryAfter,
    accept: accept.summary(),
    refusal: refusal.summary(),
    accepted: accepted.length,
    acceptedPerSec: round(accepted.length / durationSec),
    outcomes: polled.outcomes,
    filled: polled.fills.length,
    filledPerSec,
    orderToFilled: o2f,
    pendingAfterDrain: polled.pending,
    allTerminal: polled.pending === 0,
    drainSec: round(Math.max(0, polled.doneAt - endedAt) / 1000),
    passed: filledPerSec >= 0.95 * o.rate && o2f.p99 !== null && o2f.p99 <= o.p99BoundMs,
  };
}
