/** payments: deposits and withdrawals through the simulated payment provider. */
import { createHash } from 'node:crypto';
import {
  BusinessRuleError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
  defineService,
  type RpcContext,
} from '@simplebank/chassis';
import { accountsContract } from '@simplebank/accounts/contract';
import { transactionsContract } from '@simplebank/transactions/contract';
import { paymentsContract } from './contract.ts';
import { checkAmount, isUuid, maySeePayment, planDeposit, uuidFromHex, type Kind } from './domain/payments.ts';
import { paymentProvider, wakeProviders } from './provider.ts';
import { paymentsSettings } from './settings.ts';
import { findPayment, insertPayment, type PaymentRow } from './store.ts';

function toPayment(p: PaymentRow) {
  return {
    id: p.id,
    accountId: p.accountId,
    kind: p.kind,
    method: p.method,
    amount: p.amount,
    status: p.status,
    ...(p.reason ? { reason: p.reason } : {}),
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}

/** The payment id follows from the idempotency key: a retried request names the same payment everywhere. */
function paymentIdFor(kind: Kind, ctx: RpcContext): string {
  return uuidFromHex(createHash('sha256').update(`${kind}:${ctx.idempotencyKey}`).digest('hex'));
}

/**
 * The caller's open account (another customer's answers not_found from accounts). Money moves at its
 * owner's request only: an admin reads any account but deposits to or withdraws from none (403).
 */
async function openAccountOfCaller(ctx: RpcContext, accountId: string) {
  if (ctx.identity?.role !== 'customer') throw new ForbiddenError("Payments are requested by the account's owner");
  const account = await ctx.call(accountsContract, 'getAccount', { accountId });
  if (account.status !== 'open') throw new BusinessRuleError('account_closed', 'The account is closed');
  return account;
}

export const paymentsService = defineService({
  contract: paymentsContract,
  migrations: new URL('../migrations', import.meta.url),
  settings: [paymentsSettings],
  workers: [paymentProvider],
  rpc: {
    async requestDeposit(req, ctx) {
      const plan = planDeposit(req);
      if ('problems' in plan) throw new ValidationError('Invalid deposit', plan.problems);
      const account = await openAccountOfCaller(ctx, req.accountId);
      const delayMs = paymentsSettings.value.PAYMENT_PROVIDER_DELAY_MS;
      const payment = await ctx.transaction(async (tx) => {
        const row = await insertPayment(tx, {
          id: paymentIdFor('deposit', ctx),
          accountId: account.id,
          customerId: account.ownerId,
          kind: 'deposit',
          method: req.method,
          amountCents: plan.amount,
          cardLast4: plan.cardLast4,
          reservationId: undefined,
          providerOutcome: plan.outcome.status,
          providerReason: plan.outcome.reason,
          delayMs,
          correlationId: ctx.cause.correlationId,
        });
        tx.afterCommit(() => wakeProviders(delayMs));
        return row;
      });
      ctx.log.info(
        { paymentId: payment.id, accountId: payment.accountId, method: payment.method },
        'deposit requested',
      );
      return toPayment(payment);
    },

    async requestWithdrawal(req, ctx) {
      const amount = checkAmount(req.amount);
      if ('problem' in amount) throw new ValidationError('Invalid withdrawal', [amount.problem]);
      const account = await openAccountOfCaller(ctx, req.accountId);
      const paymentId = paymentIdFor('withdrawal', ctx);
      // The cash is reserved first: insufficient_funds ends the request here, with no payment stored.
      const { reservationId } = await ctx.call(
        transactionsContract,
        'reserveCash',
        { accountId: account.id, amount: req.amount, paymentId },
        { idempotencyKey: `${ctx.idempotencyKey}:reserve` },
      );
      const delayMs = paymentsSettings.value.PAYMENT_PROVIDER_DELAY_MS;
      const payment = await ctx.transaction(async (tx) => {
        const row = await insertPayment(tx, {
          id: paymentId,
          accountId: account.id,
          customerId: account.ownerId,
          kind: 'withdrawal',
          method: 'bank_transfer',
          amountCents: amount.amount,
          cardLast4: undefined,
          reservationId,
          providerOutcome: 'completed',
          providerReason: undefined,
          delayMs,
          correlationId: ctx.cause.correlationId,
        });
        tx.afterCommit(() => wakeProviders(delayMs));
        return row;
      });
      ctx.log.info({ paymentId: payment.id, accountId: payment.accountId }, 'withdrawal requested');
      return toPayment(payment);
    },

    async getPayment(req, ctx) {
      const payment = isUuid(req.paymentId) ? await findPayment(ctx.db, req.paymentId) : undefined;
      if (!payment || !maySeePayment(ctx.identity, payment.customerId)) throw new NotFoundError('No such payment');
      return toPayment(payment);
    },
  },
});
