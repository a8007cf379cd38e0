/**
 * The simulated payment provider, made durable: a pending payment lives in the database with the
 * time its answer is due; this worker (woken for it after a payment commits, with a fallback poll
 * that backs off while idle) gives the answer
 * in one transaction that updates the payment and publishes PaymentCompleted / PaymentFailed. A
 * restart loses nothing (the rows wait), and nothing completes twice (row lock + status check).
 */
import { inTransaction, type BaseContext, type Worker } from '@simplebank/chassis';
import { paymentsContract } from './contract.ts';
import { duePayments, finishPayment, lockPending } from './store.ts';

/** The fallback poll (payments of another instance, or due after a restart): from 75 ms, doubled while idle up to 5 s. */
const POLL_MS = 75;
const POLL_MAX_MS = 5000;
const BATCH = 50;

/** Wakes of the running providers in this process (woken after a payment commits). */
const wakers = new Set<(afterMs: number) => void>();

export function wakeProviders(afterMs: number): void {
  for (const wake of wakers) wake(afterMs);
}

async function completeOne(ctx: BaseContext, due: { id: string; customerId: string; correlationId: string }): Promise<void> {
  const cause = { correlationId: due.correlationId, identity: { customerId: due.customerId, role: 'customer' as const } };
  await inTransaction(ctx.db, { service: ctx.service, cause }, async (tx) => {
    const payment = await lockPending(tx, due.id);
    if (!payment) return; // done already, or another instance is doing it
    const done = await finishPayment(tx, payment.id, payment.providerOutcome, payment.providerOutcome === 'failed' ? (payment.providerReason ?? 'provider_failed') : null);
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
    else await tx.publish(paymentsContract.events.PaymentFailed, { ...data, reason: done.reason ?? 'provider_failed' }, { key: done.id });
    ctx.log.info({ paymentId: done.id, kind: done.kind, status: done.status }, 'payment answered by the provider');
    tx.afterCommit(() => ctx.metrics.counter('simplebank_payments_total', 'Payments answered by the provider, by kind and outcome', ['service', 'kind', 'outcome']).inc({ service: ctx.service, kind: done.kind, outcome: done.status }));
  });
}

/** Answers every due payment; returns how many there were. */
async function completeDue(ctx: BaseContext, stopped: () => boolean): Promise<number> {
  let answered = 0;
  for (;;) {
    const due = await duePayments(ctx.db, BATCH);
    for (const d of due) {
      if (stopped()) return answered;
      await completeOne(ctx, d);
      answered++;
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
