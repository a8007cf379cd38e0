/**
 * One turn of a placement job: place a pending one (retrying with back-off until `placeBy`, behind
 * the circuit breaker), follow a placed one until it fills, cancel one asked to, or cancel a
 * placement whose outcome was unknown. A turn holds no transaction while it talks to the exchange
 * (issue 8): the worker claims the job (store.ts `claimDue`: a turn number, and the job not due
 * again until the call's worst case has passed), the turn decides what happened, and that is
 * recorded with what it publishes (outbox) in one short transaction, only while the turn is still
 * the job's last. A crash before that record loses nothing (the job is claimed again once its claim
 * runs out, and a placement then counts as unknown); the client order id is our order id, so a
 * repeated placement is the same order on the exchange. Every order the exchange reports is
 * reconciled with what we placed before a fill is booked (reconcile.ts).
 */
import {
  backoffDelay,
  inTransaction,
  startSpan,
  withContext,
  type BaseContext,
  type Causation,
  type DataOf,
  type EventDef,
  type SendOptions,
  type Tx,
} from '@simplebank/chassis';
import { formatMoney, formatQuantity, parseMoney } from '@simplebank/money';
import { callbackToken, callbackUrl } from './callbacks.ts';
import { marketContract } from './contract.ts';
import type { ExchangeAnswer, ExchangeClient, ExchangeOrderView } from './exchange-client.ts';
import { mismatchOf } from './reconcile.ts';
import { recordTurn, type JobPatch, type JobRow } from './store.ts';

const RETRY = { baseMs: 100, capMs: 5000 };

export interface Deps {
  client: ExchangeClient;
  /** How long a claimed job is not due again: a turn that never records (a crash) is retried after it. */
  claimMs: number;
  /** The first safety-net poll of a placed order, and the most the interval grows to. */
  pollMs: number;
  pollMaxMs: number;
  /** Counts orders refused by reconciliation (stage: placement, follow), for an operator's alert. */
  mismatches?: { inc(labels: { service: string; stage: string }): void };
}

/** What a turn decided: written after the exchange call, in one transaction (handleJob). */
class TurnOutcome {
  readonly patch: JobPatch = {};
  readonly events: Array<(tx: Tx) => Promise<void>> = [];

  update(patch: JobPatch): void {
    Object.assign(this.patch, patch);
  }

  publish<E extends EventDef>(event: E, data: DataOf<E>, options: SendOptions): void {
    this.events.push((tx) => tx.publish(event, data, options));
  }
}

function causeOf(job: JobRow, traceparent: string): Causation {
  return {
    correlationId: job.correlation_id,
    traceparent,
    ...(job.causation_id ? { causationId: job.causation_id } : {}),
    ...(job.identity ? { identity: job.identity } : {}),
  };
}

function later(ms: number): Date {
  return new Date(Date.now() + ms);
}

/** Records the fill and publishes OrderFilledOnExchange (a job not yet filled). */
function markFilled(out: TurnOutcome, job: JobRow, order: ExchangeOrderView): void {
  const fillPrice = order.fillPrice!;
  const at = order.filledAt ?? new Date().toISOString();
  out.update({
    status: 'filled',
    fillPriceCents: parseMoney(fillPrice),
    filledAt: new Date(at),
    lastError: null,
  });
  out.publish(
    marketContract.events.OrderFilledOnExchange,
    {
      orderId: job.order_id,
      exchangeOrderId: order.id,
      quantity: formatQuantity(BigInt(job.quantity_micros!)),
      fillPrice,
      at,
    },
    { key: job.order_id },
  );
}

/**
 * A cancel came while the job was still pending, with a placement in flight (commands.ts): it is
 * not placed again. The placement in flight may have reached the exchange (its outcome unknown, or
 * a crash before it was recorded): then a follow-up cancels it there by client order id, as after
 * a placement given up.
 */
function cancelPending(ctx: BaseContext, out: TurnOutcome, job: JobRow): void {
  const unknown = job.placement_unknown;
  out.update({
    status: 'canceled',
    ...(unknown ? { followup: 'cancel_unknown_placement' as const } : {}),
  });
  out.publish(
    marketContract.events.OrderCanceledOnExchange,
    { orderId: job.order_id, reason: job.cancel_reason!, at: new Date().toISOString() },
    { key: job.order_id },
  );
  ctx.log.info({ orderId: job.order_id, unknown }, 'pending order canceled before its placement was known');
}

async function place(ctx: BaseContext, out: TurnOutcome, job: JobRow, deps: Deps): Promise<void> {
  if (job.cancel_reason) return cancelPending(ctx, out, job);
  const now = Date.now();
  const placeBy = job.place_by!.getTime();
  // Some earlier call may have reached the exchange without our hearing back.
  const unknown = job.placement_unknown;
  const giveUp = async () => {
    // A request whose outcome is unknown may have been accepted there (and be filled later): keep a
    // follow-up on the job that cancels it by client order id (cancelUnknownPlacement).
    out.update({
      status: 'failed',
      failureReason: 'exchange_unavailable',
      ...(unknown ? { followup: 'cancel_unknown_placement' as const, nextAttemptAt: new Date() } : {}),
    });
    if (unknown)
      ctx.log.warn(
        { orderId: job.order_id },
        'placement given up after calls with unknown outcome; canceling it on the exchange by client order id',
      );
    out.publish(
      marketContract.events.OrderPlacementFailed,
      { orderId: job.order_id, reason: 'exchange_unavailable', at: new Date().toISOString() },
      { key: job.order_id },
    );
  };
  if (now > placeBy) return giveUp();
  const url = callbackUrl(ctx);
  const answer = await deps.client.placeOrder(
    {
      clientOrderId: job.order_id,
      assetId: job.asset_id!,
      side: job.side!,
      quantity: formatQuantity(BigInt(job.quantity_micros!)),
      limitPrice: formatMoney(BigInt(job.limit_price_cents!)),
      ...(url ? { callbackUrl: url, callbackToken: callbackToken(job.order_id) } : {}),
    },
    placeBy,
  );
  const placementUnknown = answer.kind === 'unavailable' && answer.maybeArrived ? { placementUnknown: true } : {};
  if (answer.kind === 'unavailable' && answer.retryAt !== undefined) {
    // The breaker is open: nothing was sent; wait for it instead of hammering the exchange (but not past placeBy).
    return out.update({
      nextAttemptAt: new Date(Math.min(answer.retryAt, placeBy + 1)),
      lastError: answer.reason,
      ...placementUnknown,
    });
  }
  const attempts = job.attempts + 1;
  if (answer.kind === 'unavailable') {
    const next = Math.min(Date.now() + backoffDelay(attempts, RETRY), placeBy + 1);
    return out.update({
      attempts,
      nextAttemptAt: new Date(next),
      lastError: answer.reason,
      ...placementUnknown,
    });
  }
  if (answer.kind === 'refused') {
    out.update({
      attempts,
      status: 'failed',
      failureReason: 'exchange_rejected',
      lastError: `HTTP ${answer.status}: ${JSON.stringify(answer.body ?? null).slice(0, 500)}`,
    });
    out.publish(
      marketContract.events.OrderPlacementFailed,
      { orderId: job.order_id, reason: 'exchange_rejected', at: new Date().toISOString() },
      { key: job.order_id },
    );
    return;
  }
  const order = answer.order;
  const mismatch = mismatchOf(job, order);
  if (mismatch) {
    // Not our order (someone placed another under our client order id first): ours is not on the
    // exchange, so the placement fails and the saga compensates; the other order is for an operator.
    ctx.log.error(
      { orderId: job.order_id, exchangeOrderId: order.id, mismatch },
      'the exchange holds another order under our client order id: placement refused; needs an operator',
    );
    deps.mismatches?.inc({ service: ctx.service, stage: 'placement' });
    out.update({
      attempts,
      status: 'mismatch',
      exchangeOrderId: order.id,
      failureReason: 'exchange_rejected',
      lastError: `mismatch at placement: ${mismatch}`.slice(0, 2000),
    });
    out.publish(
      marketContract.events.OrderPlacementFailed,
      { orderId: job.order_id, reason: 'exchange_rejected', at: new Date().toISOString() },
      { key: job.order_id },
    );
    return;
  }
  // The fill usually comes by callback; the first follow-up poll is only the safety net.
  out.update({
    attempts,
    status: 'placed',
    exchangeOrderId: order.id,
    nextAttemptAt: later(deps.pollMs),
    followPolls: 0,
    lastError: null,
  });
  out.publish(
    marketContract.events.OrderPlacedOnExchange,
    { orderId: job.order_id, exchangeOrderId: order.id, at: new Date().toISOString() },
    { key: job.order_id },
  );
  // A repeated placement (after a crash) may find the order filled already.
  if (order.status === 'filled' && order.fillPrice) markFilled(out, job, order);
}

/** The safety-net poll of a placed order: pollMs after placement, then doubling up to pollMaxMs. */
export function followDelay(polls: number, deps: Pick<Deps, 'pollMs' | 'pollMaxMs'>): number {
  return Math.min(deps.pollMs * 2 ** Math.min(polls, 30), deps.pollMaxMs);
}

async function follow(ctx: BaseContext, out: TurnOutcome, job: JobRow, deps: Deps): Promise<void> {
  const exchangeOrderId = job.exchange_order_id!;
  const canceling = job.cancel_reason !== null;
  const answer: ExchangeAnswer = canceling
    ? await deps.client.cancelOrder(exchangeOrderId)
    : await deps.client.getOrder(exchangeOrderId);
  if (answer.kind === 'unavailable' && answer.retryAt !== undefined) {
    return out.update({ nextAttemptAt: new Date(answer.retryAt), lastError: answer.reason });
  }
  if (answer.kind !== 'ok') {
    const reason = answer.kind === 'unavailable' ? answer.reason : `HTTP ${answer.status}`;
    if (canceling) {
      const cancelAttempts = job.cancel_attempts + 1;
      return out.update({
        cancelAttempts,
        nextAttemptAt: later(backoffDelay(cancelAttempts, RETRY)),
        lastError: reason,
      });
    }
    return out.update({
      nextAttemptAt: later(Math.max(deps.pollMs, backoffDelay(job.attempts, RETRY))),
      lastError: reason,
    });
  }
  const order = answer.order;
  const mismatch = mismatchOf(job, order);
  if (mismatch) {
    // The exchange's word does not match what we placed: no fill is booked on it. An operator decides.
    ctx.log.error(
      { orderId: job.order_id, exchangeOrderId: order.id, status: order.status, mismatch },
      'the exchange reports an order that is not the one we placed: fill refused; needs an operator',
    );
    deps.mismatches?.inc({ service: ctx.service, stage: 'follow' });
    return out.update({
      status: 'mismatch',
      lastError: `mismatch (exchange says ${order.status}): ${mismatch}`.slice(0, 2000),
    });
  }
  if (order.status === 'filled' && order.fillPrice) return markFilled(out, job, order);
  if (canceling && (order.status === 'canceled' || order.status === 'rejected')) {
    out.update({ status: 'canceled', lastError: null });
    out.publish(
      marketContract.events.OrderCanceledOnExchange,
      { orderId: job.order_id, reason: job.cancel_reason!, at: new Date().toISOString() },
      { key: job.order_id },
    );
    return;
  }
  // Still open: look again later, less often each time (a callback makes it due at once).
  out.update({
    nextAttemptAt: later(followDelay(job.follow_polls + 1, deps)),
    followPolls: job.follow_polls + 1,
    lastError: null,
  });
}

/**
 * The follow-up of a placement given up after calls with unknown outcome: cancel the order on the
 * exchange by client order id, retried with back-off (through the same call policy and breaker)
 * until the exchange answers 200 (canceled), 404 (never arrived) or 409 (filled or rejected).
 */
async function cancelUnknownPlacement(ctx: BaseContext, out: TurnOutcome, job: JobRow, deps: Deps): Promise<void> {
  const answer = await deps.client.cancelByClientOrderId(job.order_id);
  if (answer.kind === 'unavailable' && answer.retryAt !== undefined) {
    return out.update({ nextAttemptAt: new Date(answer.retryAt), lastError: answer.reason });
  }
  if (answer.kind === 'unavailable' || (answer.kind === 'refused' && answer.status !== 404)) {
    const cancelAttempts = job.cancel_attempts + 1;
    const reason = answer.kind === 'unavailable' ? answer.reason : `HTTP ${answer.status}`;
    return out.update({
      cancelAttempts,
      nextAttemptAt: later(backoffDelay(cancelAttempts, RETRY)),
      lastError: `cancel of unknown placement: ${reason}`,
    });
  }
  if (answer.kind === 'refused') {
    // 404: it never arrived (and the exchange now refuses it if it still does).
    ctx.log.info({ orderId: job.order_id }, 'unknown placement never reached the exchange');
    return out.update({ followup: null, lastError: null });
  }
  const order = answer.order;
  if (order.status === 'filled') {
    // Filled after we gave up: the saga has already compensated (OrderPlacementFailed), so no fill is
    // published. Shares were bought or sold on the exchange that SimpleBank does not hold: this
    // needs an operator (orphan_filled). An accepted gap.
    ctx.log.error(
      { orderId: job.order_id, exchangeOrderId: order.id, fillPrice: order.fillPrice },
      'order filled on the exchange after its placement was given up: needs an operator',
    );
    return out.update({
      status: 'orphan_filled',
      followup: null,
      exchangeOrderId: order.id,
      ...(order.fillPrice ? { fillPriceCents: parseMoney(order.fillPrice) } : {}),
      ...(order.filledAt ? { filledAt: new Date(order.filledAt) } : {}),
      lastError: 'filled on the exchange after the placement was given up',
    });
  }
  // Canceled (200), or rejected (409): nothing is left on the exchange.
  ctx.log.info(
    { orderId: job.order_id, exchangeOrderId: order.id, status: order.status },
    'unknown placement canceled on the exchange',
  );
  return out.update({ followup: null, exchangeOrderId: order.id, lastError: null });
}

/** Takes the turn of a job the worker claimed (store.ts `claimDue`), and records it if it is still the job's turn. */
export async function handleJob(ctx: BaseContext, job: JobRow, deps: Deps): Promise<void> {
  // A span per turn of the job, in the trace of the command that made it: the exchange calls
  // (client spans) and the events published are its children.
  const span = startSpan(
    ctx.service,
    `exchange job ${job.followup ? 'cancel unknown placement' : job.status === 'pending' ? 'place' : 'follow'}`,
    {
      parent: job.traceparent ?? undefined,
      attributes: { 'simplebank.order_id': job.order_id, 'simplebank.job.status': job.status },
    },
  );
  const fields = {
    service: ctx.service,
    correlationId: job.correlation_id,
    orderId: job.order_id,
    ...span.logFields,
    ...(job.identity ? { customerId: job.identity.customerId } : {}),
  };
  try {
    await withContext(fields, async () => {
      const out = new TurnOutcome();
      if (job.followup === 'cancel_unknown_placement') await cancelUnknownPlacement(ctx, out, job, deps);
      else if (job.status === 'pending') await place(ctx, out, job, deps);
      else await follow(ctx, out, job, deps);
      await inTransaction(ctx.db, { service: ctx.service, cause: causeOf(job, span.traceparent) }, async (tx) => {
        if (!(await recordTurn(tx, job, out.patch))) {
          // Another turn took the job over (a callback or a cancel made it due again): its outcome stands.
          ctx.log.info({ orderId: job.order_id, turn: job.turn }, 'exchange job turn superseded; its outcome dropped');
          return;
        }
        for (const publish of out.events) await publish(tx);
      });
    });
    span.end();
  } catch (err) {
    span.end(err);
    throw err;
  }
}
