/**
 * The PlaceOrder saga (domain.md "Orders and the place-order saga"): reserve (T2/C2), charge the
 * fee (T3/C3), place on the exchange through market (T4), wait for the fill (the pivot), settle (T5).
 * A failure before the pivot compensates in reverse, and the order ends by the failure's cause.
 */
import {
  AppError,
  SagaFailure,
  defineSaga,
  done,
  unhandledSignal,
  waitFor,
  type SagaStepContext,
  type Static,
} from '@simplebank/chassis';
import { feesContract } from '@simplebank/fees/contract';
import { marketContract } from '@simplebank/market/contract';
import { parseMoney } from '@simplebank/money';
import { transactionsContract } from '@simplebank/transactions/contract';
import { buyReservation, statusAfterFailure, type Side } from './domain/order.ts';
import { changeStatus } from './orders.ts';
import { ordersSettings } from './settings.ts';
import * as store from './store.ts';

export interface PlaceOrderData {
  orderId: string;
  accountId: string;
  assetId: string;
  side: Side;
  quantity: string;
  limitPrice: string;
  fee: string;
  /** ISO time after which the order, unfilled, expires. */
  expiresAt: string;
  reservationId?: string;
  feeCharged?: boolean;
  placed?: boolean;
  fillPrice?: string;
  /** CancelOrderOnExchange(expired) went out: do not send it again. */
  expiryCancelSent?: boolean;
}

/** The market's news of the order, each event's data a signal of its saga (service.ts turns one into the other). */
const signals = {
  placed: marketContract.events.OrderPlacedOnExchange.data,
  placementFailed: marketContract.events.OrderPlacementFailed.data,
  filled: marketContract.events.OrderFilledOnExchange.data,
  canceled: marketContract.events.OrderCanceledOnExchange.data,
};
export type PlaceOrderSignals = typeof signals;

type Ctx = SagaStepContext<PlaceOrderData, PlaceOrderSignals>;

const BUSINESS_REFUSALS = new Set(['insufficient_funds', 'insufficient_position']);
const isRefusal = (err: unknown): err is AppError => err instanceof AppError && BUSINESS_REFUSALS.has(err.code);

/** The reserve request; the same on every try, so the ledger's idempotency answers a repeat with the first answer. */
function reserve(ctx: Ctx, key: string): Promise<{ reservationId: string }> {
  const d = ctx.data;
  return d.side === 'buy'
    ? ctx.call(
        transactionsContract,
        'reserveCash',
        { accountId: d.accountId, amount: buyReservation(d.quantity, d.limitPrice), orderId: d.orderId },
        { idempotencyKey: key },
      )
    : ctx.call(
        transactionsContract,
        'reservePosition',
        { accountId: d.accountId, assetId: d.assetId, quantity: d.quantity, orderId: d.orderId },
        { idempotencyKey: key },
      );
}

async function sendExpiryCancel(ctx: Ctx): Promise<void> {
  await ctx.tx.send(
    marketContract.commands.CancelOrderOnExchange,
    { orderId: ctx.data.orderId, reason: 'expired' },
    { key: ctx.data.orderId },
  );
  ctx.log.info({ orderId: ctx.data.orderId }, 'order expired unfilled: asking market to cancel it');
}

/** A cancel confirmed by the exchange (or a placement that never happened) ends the saga with its reason. */
function canceled({ reason }: Static<PlaceOrderSignals['canceled']>): never {
  throw new SagaFailure(
    reason,
    reason === 'expired' ? 'The order expired before it was filled' : 'Canceled by the customer',
  );
}

/**
 * Technical failures (a service restarting, the broker away) are waited out for minutes before a
 * step gives up and the order fails: an outage of seconds must not fail orders that funds and
 * prices allow (found by the distributed failure tests: 10 tries lasted ~10 s).
 */
const TECHNICAL_RETRY = { maxAttempts: 40, baseMs: 200, capMs: 5000 };

export const placeOrderSaga = defineSaga<PlaceOrderData, PlaceOrderSignals>({
  name: 'PlaceOrder',
  signals,
  // The order's expiry wakes a waiting step (place, awaitFill) with `timeout`: it asks market to
  // cancel, once, and waits on for the exchange's answer.
  deadline: (d) => (d.expiryCancelSent ? undefined : d.expiresAt),
  defaults: { retry: TECHNICAL_RETRY },
  steps: [
    {
      name: 'reserve',
      async action(ctx) {
        try {
          const { reservationId } = await reserve(ctx, ctx.stepKey);
          return done({ reservationId });
        } catch (err) {
          if (isRefusal(err)) throw new SagaFailure(err.code, err.message);
          throw err;
        }
      },
      async compensate(ctx) {
        let reservationId = ctx.data.reservationId;
        if (!reservationId) {
          // Refused: nothing was reserved.
          if (ctx.failure && BUSINESS_REFUSALS.has(ctx.failure.code)) return;
          // The reservation may have been made with no answer recorded (lost replies, an interrupt
          // between retries): asking again with the action's key answers the same reservation.
          try {
            reservationId = (await reserve(ctx, `${ctx.sagaId}:reserve`)).reservationId;
          } catch (err) {
            if (isRefusal(err)) return;
            throw err;
          }
        }
        try {
          await ctx.call(
            transactionsContract,
            'releaseReservation',
            { reservationId },
            { idempotencyKey: ctx.stepKey },
          );
        } catch (err) {
          if (err instanceof AppError && err.code === 'not_found') return;
          throw err;
        }
      },
    },
    {
      name: 'chargeFee',
      async action(ctx) {
        const d = ctx.data;
        try {
          await ctx.call(
            feesContract,
            'chargeFee',
            { orderId: d.orderId, accountId: d.accountId, amount: d.fee },
            { idempotencyKey: ctx.stepKey },
          );
          return done({ feeCharged: true });
        } catch (err) {
          if (err instanceof AppError && err.code === 'insufficient_funds')
            throw new SagaFailure(err.code, err.message);
          throw err;
        }
      },
      async compensate(ctx) {
        // fees refunds the order's fee once, and answers `refunded: false` when there is none. The
        // account and amount let it find a charge the ledger made whose answer was lost.
        const d = ctx.data;
        await ctx.call(
          feesContract,
          'refundFee',
          { orderId: d.orderId, accountId: d.accountId, amount: d.fee },
          { idempotencyKey: ctx.stepKey },
        );
      },
    },
    {
      // Nothing to compensate: a placement that failed or was canceled left nothing on the exchange.
      // Local: it sends a command and records statuses, so it commits with the fee's outcome.
      name: 'place',
      local: true,
      async action(ctx) {
        const d = ctx.data;
        const waitingFor = ['placed', 'placementFailed', 'canceled', 'filled'] as const;
        const w = ctx.wakeUp;
        if (w.kind === 'start') {
          const now = new Date();
          const placeBy = new Date(now.getTime() + ordersSettings.value.PLACEMENT_WINDOW_SECONDS * 1000);
          await ctx.tx.send(
            marketContract.commands.PlaceOrderOnExchange,
            {
              orderId: d.orderId,
              assetId: d.assetId,
              side: d.side,
              quantity: d.quantity,
              limitPrice: d.limitPrice,
              placeBy: placeBy.toISOString(),
            },
            { key: d.orderId },
          );
          // Recorded with the send: from now on a cancel goes through market, not an interrupt.
          await store.markPlacementSent(ctx.tx, d.orderId, now);
          return waitFor(waitingFor);
        }
        if (w.kind === 'timeout') {
          await sendExpiryCancel(ctx);
          return waitFor(waitingFor, { patch: { expiryCancelSent: true } });
        }
        switch (w.name) {
          case 'placementFailed': {
            const { reason } = w.payload;
            throw new SagaFailure(
              reason,
              reason === 'exchange_rejected'
                ? 'The exchange refused the order'
                : 'The exchange did not accept the order in time',
            );
          }
          case 'canceled':
            return canceled(w.payload);
          case 'filled': {
            // The fill overtook the placement's news: it was placed, and it is filled.
            await changeStatus(ctx.tx, d.orderId, 'placed', { metrics: ctx.metrics, log: ctx.log });
            const { fillPrice } = w.payload;
            await store.recordFill(ctx.tx, d.orderId, parseMoney(fillPrice));
            return done({ placed: true, fillPrice });
          }
          case 'placed':
            await changeStatus(ctx.tx, d.orderId, 'placed', { metrics: ctx.metrics, log: ctx.log });
            return done({ placed: true });
          default:
            return unhandledSignal(w);
        }
      },
    },
    {
      // The pivot: once the fill is in, the saga only goes forward. Until then (waiting) a cancel or
      // the expiry still compensates.
      name: 'awaitFill',
      pivot: true,
      local: true,
      async action(ctx) {
        const d = ctx.data;
        if (d.fillPrice) return done();
        const w = ctx.wakeUp;
        const waitingFor = ['filled', 'canceled'] as const;
        if (w.kind === 'start') return waitFor(waitingFor);
        if (w.kind === 'timeout') {
          await sendExpiryCancel(ctx);
          return waitFor(waitingFor, { patch: { expiryCancelSent: true } });
        }
        switch (w.name) {
          case 'canceled':
            return canceled(w.payload);
          case 'filled': {
            const { fillPrice } = w.payload;
            await store.recordFill(ctx.tx, d.orderId, parseMoney(fillPrice));
            return done({ fillPrice });
          }
          default:
            throw new Error(`awaitFill does not wait for ${w.name}`);
        }
      },
    },
    {
      // After the pivot: retried until it succeeds (the ledger is idempotent on the step's key).
      name: 'settle',
      async action(ctx) {
        const d = ctx.data;
        await ctx.call(
          transactionsContract,
          'settleTrade',
          {
            reservationId: d.reservationId!,
            orderId: d.orderId,
            accountId: d.accountId,
            side: d.side,
            assetId: d.assetId,
            quantity: d.quantity,
            fillPrice: d.fillPrice!,
          },
          { idempotencyKey: ctx.stepKey },
        );
        await changeStatus(ctx.tx, d.orderId, 'filled', {
          metrics: ctx.metrics,
          fillPriceCents: parseMoney(d.fillPrice!),
          log: ctx.log,
        });
        return done();
      },
    },
  ],
  async onCompensated(ctx) {
    const code = ctx.failure?.code ?? 'unknown';
    const status = statusAfterFailure(code);
    await changeStatus(ctx.tx, ctx.data.orderId, status, { metrics: ctx.metrics, reason: code, log: ctx.log });
    ctx.log.info({ orderId: ctx.data.orderId, status, reason: code }, 'order ended without a fill');
  },
});
