/**
 * Taking an investment: check it, find the strategy, request the payment, then record the investment
 * `awaiting_payment` and begin its saga in one transaction (decision 8: every call before it).
 *
 * The payment is requested here, not by the saga, so that the answer names it and the card number
 * is handed straight on to payments, never stored here. Its key follows from the investment's: a
 * crash after payments answered and before our commit is healed by the client's retry (the same
 * Idempotency-Key), which finds the same payment and records the investment once.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  AppError,
  BusinessRuleError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
  type RequestOf,
  type RpcContext,
} from '@simplebank/chassis';
import { accountsContract } from '@simplebank/accounts/contract';
import { paymentsContract } from '@simplebank/payments/contract';
import { strategiesContract } from '@simplebank/strategies/contract';
import { strategyOrdersContract } from './contract.ts';
import { checkInvestment, hundredthsOf } from './domain/investment.ts';
import { shareOf } from './domain/sizing.ts';
import { publishStatus } from './investments.ts';
import { investSaga } from './saga.ts';
import * as store from './store.ts';

type Request = RequestOf<(typeof strategyOrdersContract)['rpc']['invest']>;

const notFound = (what: string) => (err: unknown) => {
  if (err instanceof AppError && err.code === 'not_found') throw new NotFoundError(what);
  throw err;
};

/** The strategy as known here (its event), or as strategies answers it (kept for next time). */
async function strategyOf(
  ctx: RpcContext,
  strategyId: string,
): Promise<{ known: boolean; strategy: store.KnownStrategy }> {
  const missing = `Strategy ${strategyId} not found`;
  if (!store.isUuid(strategyId)) throw new NotFoundError(missing);
  const known = await store.findKnownStrategy(ctx.db, strategyId);
  if (known) return { known: true, strategy: known };
  const s = await ctx.call(strategiesContract, 'getStrategy', { strategyId }).catch(notFound(missing));
  return { known: false, strategy: { id: s.id, name: s.name, assets: s.assets } };
}

/** The payment's idempotency key, from the investment's (bounded in length whatever the client sent). */
const paymentKey = (investmentKey: string) =>
  `strategy-orders:invest:${createHash('sha256').update(investmentKey).digest('hex')}`;

export async function invest(req: Request, ctx: RpcContext) {
  const identity = ctx.identity;
  if (identity?.role !== 'customer') throw new ForbiddenError('Investments are made by customers, for themselves');
  const checked = checkInvestment(req);
  if ('problems' in checked) throw new ValidationError('The investment is not valid', checked.problems);

  const { known, strategy } = await strategyOf(ctx, req.strategyId);
  // The destination is the caller's own, open account (accounts answers not_found for another's).
  const accountMissing = `Account ${req.destinationAccountId} not found`;
  const account = await ctx
    .call(accountsContract, 'getAccount', { accountId: req.destinationAccountId })
    .catch(notFound(accountMissing));
  if (account.ownerId !== identity.customerId) throw new NotFoundError(accountMissing);
  if (account.status !== 'open')
    throw new BusinessRuleError('account_closed', `Account ${req.destinationAccountId} is closed`);

  const payment = await ctx.call(
    paymentsContract,
    'requestDeposit',
    { accountId: account.id, amount: req.amount, method: req.method, ...(req.card ? { card: req.card } : {}) },
    { idempotencyKey: paymentKey(ctx.idempotencyKey!) },
  );

  return ctx.transaction(async (tx) => {
    if (!known) await store.saveKnownStrategy(tx, strategy);
    const id = randomUUID();
    const allocations = strategy.assets.map((a) => {
      const hundredths = hundredthsOf(a.percentage);
      return { assetId: a.assetId, hundredths, share: shareOf(checked.amount, hundredths) };
    });
    await store.insertInvestment(tx, {
      id,
      customerId: identity.customerId,
      strategyId: strategy.id,
      accountId: account.id,
      amount: checked.amount,
      paymentId: payment.id,
      at: new Date(),
      allocations,
    });
    await ctx.sagas.begin(tx, investSaga, {
      id,
      data: {
        investmentId: id,
        accountId: account.id,
        paymentId: payment.id,
        amount: req.amount,
        allocations: strategy.assets,
      },
      cause: ctx.cause,
    });
    const investment = await publishStatus(tx, id);
    tx.afterCommit(() =>
      ctx.metrics
        .counter('simplebank_investments_requested_total', 'Investments taken (awaiting their payment)', ['service'])
        .inc({ service: ctx.service }),
    );
    ctx.log.info(
      { investmentId: id, strategyId: strategy.id, paymentId: payment.id },
      'investment taken: awaiting payment',
    );
    return investment;
  });
}
