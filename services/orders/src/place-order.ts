/** T1: validate, take the quote, store the order `pending` and begin the saga, in one transaction. */
import { randomUUID } from 'node:crypto';
import {
  AppError,
  ForbiddenError,
  NotFoundError,
  BusinessRuleError,
  ValidationError,
  type RequestOf,
  type RpcContext,
} from '@simplebank/chassis';
import { accountsContract } from '@simplebank/accounts/contract';
import { marketDataContract } from '@simplebank/market-data/contract';
import { feesContract } from '@simplebank/fees/contract';
import { formatMoney, parseMoney, parseQuantity } from '@simplebank/money';
import { ordersContract } from './contract.ts';
import { boundedLimitPrice, expiresAt, notionalOverLimit, type OrderSource } from './domain/order.ts';
import { publishStatus, toOrder } from './orders.ts';
import { countRequested } from './metrics.ts';
import { orderIntake } from './intake.ts';
import { placeOrderSaga } from './place-order-saga.ts';
import { ordersSettings } from './settings.ts';
import * as store from './store.ts';

type Request = RequestOf<(typeof ordersContract)['rpc']['placeOrder']>;

const notFound = (what: string) => (err: unknown) => {
  if (err instanceof AppError && err.code === 'not_found') throw new NotFoundError(what);
  throw err;
};

/** The value of a settled call, or its failure thrown. */
function settled<T>(answer: PromiseSettledResult<T>): T {
  if (answer.status === 'rejected') throw answer.reason;
  return answer.value;
}

/** The one service that places orders for a strategy, by its envelope's source (a customer at the gateway cannot). */
const STRATEGY_CALLER = 'strategy-orders';

/**
 * Who places the order: `customer` unless strategy-orders says `strategy` (with the investment it
 * is part of, and optionally a bound on a buy's limit price, in cents).
 */
function sourceOf(
  req: Request,
  ctx: RpcContext,
): { source: OrderSource; investmentId: string | null; maxLimit: bigint | undefined } {
  const source = req.source ?? 'customer';
  if (source === 'strategy' && ctx.envelope.source !== STRATEGY_CALLER)
    throw new ForbiddenError('Only strategy-orders places orders for a strategy');
  const problems: Array<{ path: string; message: string }> = [];
  if (source === 'strategy' && req.investmentId === undefined)
    problems.push({ path: '/investmentId', message: 'required with source strategy' });
  if (source !== 'strategy' && req.investmentId !== undefined)
    problems.push({ path: '/investmentId', message: 'only with source strategy' });
  if (source !== 'strategy' && req.maxLimitPrice !== undefined)
    problems.push({ path: '/maxLimitPrice', message: 'only with source strategy' });
  if (req.maxLimitPrice !== undefined && req.side !== 'buy')
    problems.push({ path: '/maxLimitPrice', message: 'only for a buy' });
  const maxLimit = req.maxLimitPrice !== undefined ? parseMoney(req.maxLimitPrice) : undefined;
  if (maxLimit === 0n) problems.push({ path: '/maxLimitPrice', message: 'must be greater than 0' });
  if (problems.length > 0) throw new ValidationError('The order source is not valid', problems);
  return { source, investmentId: req.investmentId ?? null, maxLimit };
}

export async function placeOrder(req: Request, ctx: RpcContext) {
  const identity = ctx.identity;
  if (identity?.role !== 'customer') throw new ForbiddenError('Orders are placed by customers');
  const quantity = parseQuantity(req.quantity);
  if (quantity <= 0n)
    throw new ValidationError('The quantity must be greater than zero', [
      { path: '/quantity', message: 'must be greater than 0' },
    ]);
  const { source, investmentId, maxLimit } = sourceOf(req, ctx);
  // Refused before any work is done for it: a refusal past capacity must cost next to nothing.
  await orderIntake.admit(ctx.db, ctx.metrics);

  // The account and the asset are asked for together (one wait, not two); the account is judged first.
  const [accountAnswer, assetAnswer] = await Promise.allSettled([
    ctx
      .call(accountsContract, 'getAccount', { accountId: req.accountId })
      .catch(notFound(`Account ${req.accountId} not found`)),
    ctx
      .call(marketDataContract, 'getAsset', { assetId: req.assetId })
      .catch(notFound(`Asset ${req.assetId} not found`)),
  ]);
  const account = settled(accountAnswer);
  if (account.ownerId !== identity.customerId) throw new NotFoundError(`Account ${req.accountId} not found`);
  if (account.status !== 'open') throw new BusinessRuleError('account_closed', `Account ${req.accountId} is closed`);
  const asset = settled(assetAnswer);

  const quote = parseMoney(asset.price);
  const limit = boundedLimitPrice(quote, req.side, maxLimit);
  const overLimit = notionalOverLimit(quantity, limit);
  if (overLimit)
    throw new AppError('limit_exceeded', `The order's notional is over the limit of an order: ${overLimit.message}`, {
      status: 422,
      errors: [overLimit],
    });
  const { fee, scheduleVersion } = await ctx.call(feesContract, 'quoteFee', {
    quantity: req.quantity,
    price: asset.price,
  });

  return ctx.transaction(async (tx) => {
    const id = randomUUID();
    const createdAt = new Date();
    const expiry = expiresAt(createdAt, ordersSettings.value.ORDER_TTL_SECONDS);
    const row = await store.insertOrder(tx, {
      id,
      customerId: identity.customerId,
      accountId: req.accountId,
      assetId: req.assetId,
      side: req.side,
      quantityMicros: quantity,
      quotePriceCents: quote,
      limitPriceCents: limit,
      feeCents: parseMoney(fee),
      feeScheduleVersion: scheduleVersion,
      createdAt,
      expiresAt: expiry,
      source,
      investmentId,
    });
    await ctx.sagas.begin(tx, placeOrderSaga, {
      id,
      data: {
        orderId: id,
        accountId: req.accountId,
        assetId: req.assetId,
        side: req.side,
        quantity: req.quantity,
        limitPrice: formatMoney(limit),
        fee,
        expiresAt: expiry.toISOString(),
      },
      cause: ctx.cause,
    });
    await publishStatus(tx, row);
    countRequested(ctx.metrics, tx);
    ctx.log.info({ orderId: id, side: req.side, assetId: req.assetId, source }, 'order placed: pending');
    return toOrder(row);
  });
}
