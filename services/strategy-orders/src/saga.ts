/**
 * The InvestInStrategy saga (domain.md "Strategies and investments"; decisions 20, 21). The payment
 * was requested when the investment was taken (invest.ts); the saga waits for it (the pivot: once
 * the money is in the account nothing is undone, and a failed payment leaves nothing to undo), sizes
 * one buy per allocation at the quotes of that moment, places them through orders, and follows them
 * to their end. Every step's local writes commit with its outcome; its remote effects are keyed so
 * that a step run again after a crash is answered, not done twice.
 */
import {
  AppError,
  SagaFailure,
  T,
  defineSaga,
  done,
  waitFor,
  type SagaStepContext,
  type Static,
} from '@simplebank/chassis';
import { feesContract } from '@simplebank/fees/contract';
import { marketDataContract } from '@simplebank/market-data/contract';
import { formatMoney, formatQuantity, parseMoney, parseRate } from '@simplebank/money';
import { ordersContract } from '@simplebank/orders/contract';
import { paymentsContract } from '@simplebank/payments/contract';
import { allEnded, hundredthsOf, nextOrderStatus } from './domain/investment.ts';
import { planInvestment } from './domain/sizing.ts';
import { changeStatus, publishStatus } from './investments.ts';
import { strategyOrdersSettings } from './settings.ts';
import * as store from './store.ts';

export interface InvestData {
  investmentId: string;
  accountId: string;
  paymentId: string;
  amount: string;
  /** The strategy's allocations, in its order (position = index). */
  allocations: Array<{ assetId: string; percentage: string }>;
  /** The buys the plan sized, by position (set by `plan`). */
  buys?: Array<{ position: number; assetId: string; quantity: string; maxLimitPrice: string }>;
  /** The orders placed, by position (set by `placeOrders`). */
  orders?: Array<{ position: number; orderId: string }>;
}

/** What orders tells of an order: its status, and once filled its fill price; the fee it charged. */
const OrderNews = T.Pick(ordersContract.events.OrderStatusChanged.data, ['orderId', 'status', 'fillPrice', 'fee']);
export type OrderNews = Static<typeof OrderNews>;

/** The news of payments and orders that wakes the saga (service.ts turns their events into these). */
const signals = {
  paymentCompleted: T.Object({}),
  paymentFailed: T.Pick(paymentsContract.events.PaymentFailed.data, ['reason']),
  orderChanged: OrderNews,
};
export type InvestSignals = typeof signals;

type Ctx = SagaStepContext<InvestData, InvestSignals>;

/** Technical failures are waited out (a service restarting); past the pivot they are retried for ever anyway. */
const RETRY = { maxAttempts: 40, baseMs: 200, capMs: 5000 };

/** A refusal of orders for this buy (a 4xx that will not change), as opposed to a failure worth trying again. */
const isRefusal = (err: unknown): err is AppError =>
  err instanceof AppError && !err.retryable && err.status >= 400 && err.status < 500;

/** The payment as payments has it now; undefined when it is still under way or cannot be asked. */
async function askPayment(
  ctx: Ctx,
): Promise<{ status: 'completed' } | { status: 'failed'; reason: string } | undefined> {
  try {
    const p = await ctx.call(paymentsContract, 'getPayment', { paymentId: ctx.data.paymentId });
    if (p.status === 'completed') return { status: 'completed' };
    if (p.status === 'failed') return { status: 'failed', reason: p.reason ?? 'failed' };
  } catch (err) {
    // Waiting goes on: only the payment's outcome may decide the investment's.
    ctx.log.warn({ err, paymentId: ctx.data.paymentId }, 'could not ask payments about the payment; waiting on');
  }
  return undefined;
}

/** Applies news of the investment's orders (locked: one change at a time); true once every allocation has ended. */
async function applyNews(ctx: Ctx, news: readonly OrderNews[]): Promise<boolean> {
  const row = (await store.getInvestment(ctx.tx, ctx.data.investmentId, { lock: true }))!;
  const at = new Date();
  for (const n of news) {
    const a = row.allocations.find((x) => x.orderId === n.orderId);
    if (!a || a.orderStatus === null) continue;
    const status = nextOrderStatus(a.orderStatus, n.status);
    if (status === a.orderStatus) continue;
    const fillPrice = status === 'filled' && n.fillPrice !== null ? parseMoney(n.fillPrice) : null;
    await store.saveOrderNews(ctx.tx, row.id, n.orderId, { status, fillPrice, fee: parseMoney(n.fee) }, at);
    Object.assign(a, { orderStatus: status, fillPrice: fillPrice ?? a.fillPrice, fee: parseMoney(n.fee) });
  }
  return allEnded(row.allocations);
}

/** Asks orders about every order of the investment (the safety net when their events are late). */
async function askOrders(ctx: Ctx): Promise<OrderNews[]> {
  const news: OrderNews[] = [];
  for (const o of ctx.data.orders ?? []) {
    try {
      const order = await ctx.call(ordersContract, 'getOrder', { orderId: o.orderId });
      news.push({ orderId: order.id, status: order.status, fillPrice: order.fillPrice, fee: order.fee });
    } catch (err) {
      ctx.log.warn({ err, orderId: o.orderId }, 'could not ask orders about an order; waiting on');
    }
  }
  return news;
}

export const investSaga = defineSaga<InvestData, InvestSignals>({
  name: 'InvestInStrategy',
  signals,
  defaults: { retry: RETRY },
  steps: [
    {
      // The pivot: a failed payment fails the investment (nothing was bought, nothing to undo); a
      // completed one commits it to buying. It never fails for a technical reason: it waits on.
      name: 'awaitPayment',
      pivot: true,
      async action(ctx) {
        const waiting = ['paymentCompleted', 'paymentFailed'] as const;
        const checkMs = strategyOrdersSettings.value.INVESTMENT_PAYMENT_CHECK_MS;
        const w = ctx.wakeUp;
        let outcome: Awaited<ReturnType<typeof askPayment>>;
        if (w.kind === 'start') return waitFor(waiting, { timeoutMs: checkMs });
        if (w.kind === 'signal')
          outcome =
            w.name === 'paymentFailed' ? { status: 'failed', reason: w.payload.reason } : { status: 'completed' };
        else outcome = await askPayment(ctx);
        if (!outcome) return waitFor(waiting, { timeoutMs: checkMs });
        if (outcome.status === 'failed')
          throw new SagaFailure('payment_failed', `The payment failed (${outcome.reason}): nothing is bought`);
        await changeStatus(ctx.tx, ctx.data.investmentId, 'ordering');
        return done();
      },
    },
    {
      // Reads only (quotes, the fee schedule): run again after a crash, it sizes afresh.
      name: 'plan',
      async action(ctx) {
        const d = ctx.data;
        const [{ items }, schedule] = await Promise.all([
          ctx.call(marketDataContract, 'getPrices', { assetIds: d.allocations.map((a) => a.assetId) }),
          ctx.call(feesContract, 'getSchedule', {}),
        ]);
        const quotes = new Map(items.map((q) => [q.assetId, parseMoney(q.price)]));
        const allocations = d.allocations.map((a) => ({ assetId: a.assetId, hundredths: hundredthsOf(a.percentage) }));
        const plan = planInvestment(parseMoney(d.amount), allocations, quotes, {
          minimum: parseMoney(schedule.minimum),
          rate: parseRate(schedule.rate),
        });
        await store.savePlan(ctx.tx, d.investmentId, plan, new Date());
        const buys = plan.flatMap((p, position) =>
          p.kind === 'order'
            ? [
                {
                  position,
                  assetId: p.assetId,
                  quantity: formatQuantity(p.quantity),
                  maxLimitPrice: formatMoney(p.limit),
                },
              ]
            : [],
        );
        ctx.log.info(
          { investmentId: d.investmentId, buys: buys.length, skipped: plan.length - buys.length },
          'investment sized',
        );
        return done({ buys });
      },
    },
    {
      // One order per buy, each under a key of its own: after a crash or a technical failure the
      // step runs again and orders answers the buys it took already with the same orders.
      name: 'placeOrders',
      async action(ctx) {
        const d = ctx.data;
        const placements: store.Placement[] = [];
        for (const b of d.buys ?? []) {
          try {
            const order = await ctx.call(
              ordersContract,
              'placeOrder',
              {
                accountId: d.accountId,
                assetId: b.assetId,
                side: 'buy',
                quantity: b.quantity,
                source: 'strategy',
                investmentId: d.investmentId,
                maxLimitPrice: b.maxLimitPrice,
              },
              { idempotencyKey: `${ctx.sagaId}:order:${b.position}` },
            );
            placements.push({
              position: b.position,
              orderId: order.id,
              status: order.status,
              fee: parseMoney(order.fee),
            });
          } catch (err) {
            if (!isRefusal(err)) throw err;
            ctx.log.warn(
              { investmentId: d.investmentId, assetId: b.assetId, code: err.code },
              'orders refused a buy of the investment: its share is left over',
            );
            placements.push({ position: b.position, refused: err.code });
          }
        }
        await store.savePlacements(ctx.tx, d.investmentId, placements, new Date());
        return done({
          orders: placements.flatMap((p) => ('orderId' in p ? [{ position: p.position, orderId: p.orderId }] : [])),
        });
      },
    },
    {
      // Follows the orders to their end: orders' events wake it (one signal per change); now and
      // then it asks orders itself, in case an event is late.
      name: 'awaitOrders',
      async action(ctx) {
        const w = ctx.wakeUp;
        const news =
          w.kind === 'signal' && w.name === 'orderChanged'
            ? [w.payload]
            : w.kind === 'timeout'
              ? await askOrders(ctx)
              : [];
        if (await applyNews(ctx, news)) return done();
        return waitFor(['orderChanged'], { timeoutMs: strategyOrdersSettings.value.INVESTMENT_ORDER_CHECK_MS });
      },
    },
  ],
  async onCompleted(ctx) {
    await store.setStatus(ctx.tx, ctx.data.investmentId, 'completed', null, new Date());
    const i = await publishStatus(ctx.tx, ctx.data.investmentId);
    ctx.log.info(
      { investmentId: i.id, invested: i.invested, fees: i.fees, leftover: i.leftover },
      'investment completed',
    );
  },
  async onCompensated(ctx) {
    const code = ctx.failure?.code ?? 'failed';
    await changeStatus(ctx.tx, ctx.data.investmentId, 'failed', code);
    ctx.log.info({ investmentId: ctx.data.investmentId, reason: code }, 'investment failed');
  },
});
