/**
 * The exchange worker: places pending jobs (retrying with back-off until `placeBy`, behind a circuit
 * breaker), follows placed ones until they fill, and cancels those asked to. Each job is handled in
 * one transaction that holds its row while it talks to the exchange and publishes what happened
 * (outbox): a crash loses nothing and publishes nothing twice (the client order id is our order
 * id, so a placement repeated after a crash is the same order on the exchange).
 */
import { CallPolicy, backoffDelay, breakers, inTransaction, startSpan, withContext, type BaseContext, type Causation, type Tx, type Worker } from '@simplebank/chassis';
import { formatMoney, formatQuantity, parseMoney } from '@simplebank/money';
import { marketContract } from './contract.ts';
import { ExchangeClient, type ExchangeAnswer, type ExchangeOrderView } from './exchange-client.ts';
import { marketSettings } from './settings.ts';
import { claimDueJob, dueJobs, updateJob, type JobRow } from './store.ts';
import { onWake } from './wake.ts';

const RETRY = { baseMs: 100, capMs: 5000 };
const BATCH = 8;
const IDLE_MS = 100;

interface Deps {
  client: ExchangeClient;
  pollMs: number;
}

function causeOf(job: JobRow, traceparent: string): Causation {
  return { correlationId: job.correlation_id, traceparent, ...(job.causation_id ? { causationId: job.causation_id } : {}), ...(job.identity ? { identity: job.identity } : {}) };
}

function later(ms: number): Date {
  return new Date(Date.now() + ms);
}

/** Records the fill and publishes OrderFilledOnExchange; the caller holds the row of a job not yet filled. */
async function markFilled(tx: Tx, job: JobRow, order: ExchangeOrderView): Promise<void> {
  const fillPrice = order.fillPrice!;
  const at = order.filledAt ?? new Date().toISOString();
  await updateJob(tx, job.order_id, { status: 'filled', fillPriceCents: parseMoney(fillPrice), filledAt: new Date(at), lastError: null });
  await tx.publish(
    marketContract.events.OrderFilledOnExchange,
    { orderId: job.order_id, exchangeOrderId: order.id, quantity: formatQuantity(BigInt(job.quantity_micros!)), fillPrice, at },
    { key: job.order_id },
  );
}

async function place(tx: Tx, job: JobRow, deps: Deps): Promise<void> {
  const now = Date.now();
  const placeBy = job.place_by!.getTime();
  const giveUp = async () => {
    await updateJob(tx, job.order_id, { status: 'failed', failureReason: 'exchange_unavailable' });
    await tx.publish(marketContract.events.OrderPlacementFailed, { orderId: job.order_id, reason: 'exchange_unavailable', at: new Date().toISOString() }, { key: job.order_id });
  };
  if (now > placeBy) return giveUp();
  const answer = await deps.client.placeOrder(
    {
      clientOrderId: job.order_id,
      assetId: job.asset_id!,
      side: job.side!,
      quantity: formatQuantity(BigInt(job.quantity_micros!)),
      limitPrice: formatMoney(BigInt(job.limit_price_cents!)),
    },
    placeBy,
  );
  if (answer.kind === 'unavailable' && answer.retryAt !== undefined) {
    // The breaker is open: nothing was sent; wait for it instead of hammering the exchange (but not past placeBy).
    return updateJob(tx, job.order_id, { nextAttemptAt: new Date(Math.min(answer.retryAt, placeBy + 1)), lastError: answer.reason });
  }
  const attempts = job.attempts + 1;
  if (answer.kind === 'unavailable') {
    const next = Math.min(Date.now() + backoffDelay(attempts, RETRY), placeBy + 1);
    return updateJob(tx, job.order_id, { attempts, nextAttemptAt: new Date(next), lastError: answer.reason });
  }
  if (answer.kind === 'refused') {
    await updateJob(tx, job.order_id, { attempts, status: 'failed', failureReason: 'exchange_rejected', lastError: `HTTP ${answer.status}: ${JSON.stringify(answer.body ?? null).slice(0, 500)}` });
    await tx.publish(marketContract.events.OrderPlacementFailed, { orderId: job.order_id, reason: 'exchange_rejected', at: new Date().toISOString() }, { key: job.order_id });
    return;
  }
  const order = answer.order;
  await updateJob(tx, job.order_id, { attempts, status: 'placed', exchangeOrderId: order.id, nextAttemptAt: later(deps.pollMs), lastError: null });
  await tx.publish(marketContract.events.OrderPlacedOnExchange, { orderId: job.order_id, exchangeOrderId: order.id, at: new Date().toISOString() }, { key: job.order_id });
  // A repeated placement (after a crash) may find the order filled already.
  if (order.status === 'filled' && order.fillPrice) await markFilled(tx, job, order);
}

async function follow(tx: Tx, job: JobRow, deps: Deps): Promise<void> {
  const exchangeOrderId = job.exchange_order_id!;
  const canceling = job.cancel_reason !== null;
  const answer: ExchangeAnswer = canceling ? await deps.client.cancelOrder(exchangeOrderId) : await deps.client.getOrder(exchangeOrderId);
  if (answer.kind === 'unavailable' && answer.retryAt !== undefined) {
    return updateJob(tx, job.order_id, { nextAttemptAt: new Date(answer.retryAt), lastError: answer.reason });
  }
  if (answer.kind !== 'ok') {
    const reason = answer.kind === 'unavailable' ? answer.reason : `HTTP ${answer.status}`;
    if (canceling) {
      const cancelAttempts = job.cancel_attempts + 1;
      return updateJob(tx, job.order_id, { cancelAttempts, nextAttemptAt: later(Math.max(deps.pollMs, backoffDelay(cancelAttempts, RETRY))), lastError: reason });
    }
    return updateJob(tx, job.order_id, { nextAttemptAt: later(Math.max(deps.pollMs, backoffDelay(job.attempts, RETRY))), lastError: reason });
  }
  const order = answer.order;
  if (order.status === 'filled' && order.fillPrice) return markFilled(tx, job, order);
  if (canceling && (order.status === 'canceled' || order.status === 'rejected')) {
    await updateJob(tx, job.order_id, { status: 'canceled', lastError: null });
    await tx.publish(marketContract.events.OrderCanceledOnExchange, { orderId: job.order_id, reason: job.cancel_reason!, at: new Date().toISOString() }, { key: job.order_id });
    return;
  }
  await updateJob(tx, job.order_id, { nextAttemptAt: later(deps.pollMs), lastError: null });
}

/** Handles one job if it is still due and free; each in its own transaction. */
async function handleJob(ctx: BaseContext, candidate: JobRow, deps: Deps): Promise<void> {
  // A span per turn of the job, in the trace of the command that made it: the exchange calls
  // (client spans) and the events published are its children.
  const span = startSpan(ctx.service, `exchange job ${candidate.status === 'pending' ? 'place' : 'follow'}`, {
    parent: candidate.traceparent ?? undefined,
    attributes: { 'simplebank.order_id': candidate.order_id, 'simplebank.job.status': candidate.status },
  });
  const fields = { service: ctx.service, correlationId: candidate.correlation_id, orderId: candidate.order_id, ...span.logFields, ...(candidate.identity ? { customerId: candidate.identity.customerId } : {}) };
  try {
    await withContext(fields, () =>
      inTransaction(ctx.db, { service: ctx.service, cause: causeOf(candidate, span.traceparent) }, async (tx) => {
        const job = await claimDueJob(tx, candidate.order_id);
        if (!job) return;
        if (job.status === 'pending') await place(tx, job, deps);
        else await follow(tx, job, deps);
      }),
    );
    span.end();
  } catch (err) {
    span.end(err);
    throw err;
  }
}

/** One round: every due job (up to a batch), concurrently. Returns how many were due. */
export async function runRound(ctx: BaseContext, deps: Deps): Promise<number> {
  const due = await dueJobs(ctx.db, BATCH);
  await Promise.all(due.map((job) => handleJob(ctx, job, deps).catch((err: unknown) => ctx.log.warn({ err, orderId: job.order_id }, 'exchange job failed; retried next round'))));
  return due.length;
}

/** The exchange's breaker (critical: market has nothing to do without it) and call policy, from the settings. */
export function exchangePolicy(ctx: Pick<BaseContext, 'service' | 'metrics'>): CallPolicy {
  const s = marketSettings.value;
  const breaker = breakers.get(
    ctx.service,
    'exchange',
    {
      failureRate: s.EXCHANGE_BREAKER_FAILURE_PERCENT / 100,
      windowMs: s.EXCHANGE_BREAKER_WINDOW_MS,
      minimumCalls: s.EXCHANGE_BREAKER_MIN_CALLS,
      halfOpenAfterMs: s.EXCHANGE_BREAKER_HALF_OPEN_MS,
      maxHalfOpenAfterMs: s.EXCHANGE_BREAKER_MAX_HALF_OPEN_MS,
      critical: true,
      forceOpen: s.EXCHANGE_BREAKER_FORCE_OPEN,
    },
    ctx.metrics,
  );
  return new CallPolicy({ breaker, timeoutMs: s.EXCHANGE_TIMEOUT_MS, maxAttempts: s.EXCHANGE_MAX_ATTEMPTS, backoff: { baseMs: 50, capMs: 500 } });
}

export const exchangeWorker: Worker = {
  name: 'exchange-jobs',
  start(ctx) {
    const s = marketSettings.value;
    const deps: Deps = {
      client: new ExchangeClient(() => (s.EXCHANGE_URL ?? `${ctx.httpAddress()}/exchange`).replace(/\/$/, ''), exchangePolicy(ctx)),
      pollMs: s.EXCHANGE_POLL_MS,
    };
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let wake: (() => void) | undefined;
    const unsubscribe = onWake(() => wake?.());
    const loop = async () => {
      while (!stopped) {
        let busy = 0;
        try {
          busy = await runRound(ctx, deps);
        } catch (err) {
          ctx.log.warn({ err }, 'exchange round failed');
        }
        if (stopped) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, busy > 0 ? 5 : Math.min(IDLE_MS, s.EXCHANGE_POLL_MS));
        });
        wake = undefined;
        clearTimeout(timer);
      }
    };
    const running = loop();
    return async () => {
      stopped = true;
      unsubscribe();
      wake?.();
      await running;
    };
  },
};
