/**
 * The simulated payment provider, made durable: a pending payment lives in the database with the
 * time its answer is due; this worker (woken for it after a payment commits, with a fallback poll
 * that backs off while idle) gives the answer. A completed payment is first posted in the ledger
 * (transactions.postPayment, idempotent per payment), then updated and its PaymentCompleted
 * published in one transaction; a failed one is updated and PaymentFailed published. A
 * restart loses nothing (the rows wait), and nothing completes twice (row lock + status check).
 */
import { AppError, inTransaction, type BaseContext, type Worker } from '@simplebank/chassis';
import { transactionsContract } from '@simplebank/transactions/contract';
import { paymentsContract } from './contract.ts';
import { settleRetryMs } from './domain/payments.ts';
import { duePayments, findPayment, finishPayment, lockOpen, markSettling, type PaymentRow } from './store.ts';

/** The fallback poll (payments of another instance, or due after a restart): from 75 ms, doubled while idle up to 5 s. */
const POLL_MS = 75;
const POLL_MAX_MS = 5000;
const BATCH = 50;
/** Payments answered at once within a batch. */
const CONCURRENCY = 8;

/** Wakes of the running providers in this process (woken after a payment commits). */
const wakers = new Set<(afterMs: number) => void>();

export function wakeProviders(afterMs: number): void {
  for (const wake of wakers) wake(afterMs);
}

/**
 * A payment the provider completed is posted in the ledger first, by an idempotent call keyed by the
 * payment (outside any transaction of ours: decision 8); only then is it marked `completed`. When
 * the ledger does not post it (unavailable, or a refusal), the payment is `settling`, tried again
 * with back-off: never `completed` without its posting (decision 14).
 */
async function postToLedger(
  ctx: BaseContext,
  payment: PaymentRow,
  cause: Parameters<BaseContext['callWith']>[0],
): Promise<boolean> {
  try {
    await ctx.callWith(cause)(
      transactionsContract,
      'postPayment',
      {
        paymentId: payment.id,
        accountId: payment.accountId,
        kind: payment.kind,
        amount: payment.amount,
        ...(payment.reservationId ? { reservationId: payment.reservationId } : {}),
      },
      { idempotencyKey: `payments:post:${payment.id}` },
    );
    return true;
  } catch (err) {
    const code = err instanceof AppError ? err.code : 'ledger_error';
    const retryMs = settleRetryMs(payment.settleAttempts);
    await inTransaction(ctx.db, { service: ctx.service, cause }, async (tx) => {
      if (await lockOpen(tx, payment.id)) await markSettling(tx, payment.id, code, retryMs);
    });
    const refused = err instanceof AppError && !err.retryable;
    ctx.log[refused ? 'error' : 'warn'](
      { paymentId: payment.id, code, err: (err as Error).message, retryMs },
      'the ledger did not post the payment: settling, tried again later',
    );
    ctx.metrics
      .counter(
        'simplebank_payments_settling_total',
        'Ledger postings of payments that did not succeed (the payment stays settling), by code',
        ['service', 'code'],
      )
      .inc({ service: ctx.service, code });
    return false;
  }
}

async function completeOne(
  ctx: BaseContext,
  due: { id: string; customerId: string; correlationId: string },
): Promise<void> {
  const cause = {
    correlationId: due.correlationId,
    identity: { customerId: due.customerId, role: 'customer' as const },
  };
  const open = await findPayment(ctx.db, due.id);
  if (!open || (open.status !== 'pending' && open.status !== 'settling')) return;
  if (open.providerOutcome === 'completed' && !(await postToLedger(ctx, open, cause))) return;
  await inTransaction(ctx.db, { service: ctx.service, cause }, async (tx) => {
    const payment = await lockOpen(tx, due.id);
    if (!payment) return; // done already, or another instance is doing it
    const done = await finishPayment(
      tx,
      payment.id,
      payment.providerOutcome,
      payment.providerOutcome === 'failed' ? (payment.providerReason ?? 'provider_failed') : null,
    );
    const data = {
      paymentId: done.id,
      accountId: done.accountId,
      customerId: done.customerId,
      kind: done.kind,
      method: done.method,
      amount: done.amount,
      ...(done.reservationId ? { reservationId: done.reservationId } : {}),
    };
    if (done.status === 'completed') await tx.publish(paymentsContract.events.PaymentCompleted, data, { key: done.id });
    else
      await tx.publish(
        paymentsContract.events.PaymentFailed,
        { ...data, reason: done.reason ?? 'provider_failed' },
        { key: done.id },
      );
    ctx.log.info({ paymentId: done.id, kind: done.kind, status: done.status }, 'payment answered by the provider');
    tx.afterCommit(() =>
      ctx.metrics
        .counter('simplebank_payments_total', 'Payments answered by the provider, by kind and outcome', [
          'service',
          'kind',
          'outcome',
        ])
        .inc({ service: ctx.service, kind: done.kind, outcome: done.status }),
    );
  });
}

/** Answers every due payment; returns how many there were. */
async function completeDue(ctx: BaseContext, stopped: () => boolean): Promise<number> {
  let answered = 0;
  for (;;) {
    const due = await duePayments(ctx.db, BATCH);
    // A few at a time: each waits for its ledger posting (a call), and payments are independent.
    for (let i = 0; i < due.length; i += CONCURRENCY) {
      if (stopped()) return answered;
      const chunk = due.slice(i, i + CONCURRENCY);
      await Promise.all(chunk.map((d) => completeOne(ctx, d)));
      answered += chunk.length;
    }
    if (due.length < BATCH || stopped()) return answered;
  }
}

export const paymentProvider: Worker = {
  name: 'payment-provider',
  start(ctx) {
    let stopped = false;
    let running: Promise<void> | undefined;
    let again = false;
    let pollMs = POLL_MS;
    let poll: NodeJS.Timeout | undefined;
    const timers = new Set<NodeJS.Timeout>();
    const schedulePoll = (): void => {
      clearTimeout(poll);
      if (!stopped) poll = setTimeout(kick, pollMs);
    };
    const kick = (): void => {
      if (stopped) return;
      if (running) {
        again = true;
        return;
      }
      running = completeDue(ctx, () => stopped)
        .then((answered) => {
          pollMs = answered > 0 ? POLL_MS : Math.min(pollMs * 2, POLL_MAX_MS);
        })
        .catch((err: unknown) => ctx.log.warn({ err }, 'payment provider round failed; the next round retries'))
        .finally(() => {
          schedulePoll();
          running = undefined;
          if (again) {
            again = false;
            kick();
          }
        });
    };
    const wake = (afterMs: number): void => {
      if (stopped) return;
      pollMs = POLL_MS;
      const t = setTimeout(() => {
        timers.delete(t);
        kick();
      }, afterMs + 1);
      timers.add(t);
    };
    wakers.add(wake);
    kick();
    return async () => {
      stopped = true;
      wakers.delete(wake);
      clearTimeout(poll);
      for (const t of timers) clearTimeout(t);
      await running;
    };
  },
};
