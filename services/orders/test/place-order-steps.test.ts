/**
 * The PlaceOrder saga's steps one at a time (handlerContext: no PostgreSQL, no transport): what each
 * action and compensation asks of the ledger, fees and market, and how it reads their answers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AppError,
  BusinessRuleError,
  NotFoundError,
  SagaFailure,
  UnavailableError,
  done,
  waitFor,
} from '@simplebank/chassis';
import { handlerContext, stub } from '@simplebank/chassis/testing';
import { feesContract } from '@simplebank/fees/contract';
import { marketContract } from '@simplebank/market/contract';
import { transactionsContract } from '@simplebank/transactions/contract';
import { placeOrderSaga, type PlaceOrderData } from '../src/place-order-saga.ts';

const order = (o: Partial<PlaceOrderData> = {}): PlaceOrderData => ({
  orderId: 'o-1',
  accountId: 'acc-1',
  assetId: 'XYZ',
  side: 'buy',
  quantity: '2.5',
  limitPrice: '10.01',
  fee: '1.00',
  expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
  ...o,
});

/** A ledger that reserves, refuses the accounts named `poor`, and is away for those named `down`. */
function ledger(released: string[] = []) {
  const reserve = (req: { accountId: string }) => {
    if (req.accountId === 'poor') throw new BusinessRuleError('insufficient_funds', 'Not enough available cash');
    if (req.accountId === 'down') throw new UnavailableError('The ledger is restarting');
    return { reservationId: `r-${req.accountId}` };
  };
  return stub(transactionsContract, {
    reserveCash: reserve,
    reservePosition: (req) =>
      req.accountId === 'poor'
        ? Promise.reject(new BusinessRuleError('insufficient_position', 'Not enough shares'))
        : reserve(req),
    releaseReservation: (req) => {
      if (req.reservationId === 'r-gone') throw new NotFoundError('No such reservation');
      released.push(req.reservationId);
      return { released: true };
    },
  });
}

describe('the PlaceOrder saga, step by step', () => {
  it('reserve: a buy reserves quantity × limit rounded up under the step key', async () => {
    const h = handlerContext({ service: 'orders', stubs: [ledger()] });
    const outcome = await h.runStep(placeOrderSaga, 'reserve', { sagaId: 's-1', data: order() });
    assert.deepEqual(outcome, done({ reservationId: 'r-acc-1' }));
    assert.deepEqual(h.callsTo(transactionsContract, 'reserveCash'), [
      { accountId: 'acc-1', amount: '25.03', orderId: 'o-1' },
    ]); // 25.025 up
    assert.equal(h.calls[0]!.idempotencyKey, 's-1:reserve');
  });

  it('reserve: a sell reserves the position; a refusal fails the saga, an outage is retried', async () => {
    const h = handlerContext({ service: 'orders', stubs: [ledger()] });
    await h.runStep(placeOrderSaga, 'reserve', { data: order({ side: 'sell' }) });
    assert.deepEqual(h.callsTo(transactionsContract, 'reservePosition'), [
      { accountId: 'acc-1', assetId: 'XYZ', quantity: '2.5', orderId: 'o-1' },
    ]);
    await assert.rejects(
      h.runStep(placeOrderSaga, 'reserve', { data: order({ side: 'sell', accountId: 'poor' }) }),
      (e: unknown) => e instanceof SagaFailure && e.code === 'insufficient_position',
    );
    await assert.rejects(
      h.runStep(placeOrderSaga, 'reserve', { data: order({ accountId: 'down' }) }),
      (e: unknown) => e instanceof AppError && !(e instanceof SagaFailure) && e.retryable,
    );
  });

  it('reserve compensation: releases what was reserved, asks again when the answer was lost, and nothing after a refusal', async () => {
    const released: string[] = [];
    const h = handlerContext({ service: 'orders', stubs: [ledger(released)] });
    await h.compensateStep(placeOrderSaga, 'reserve', { sagaId: 's-2', data: order({ reservationId: 'r-known' }) });
    assert.deepEqual(released, ['r-known']);
    assert.equal(h.calls.at(-1)!.idempotencyKey, 's-2:reserve:compensate');

    // No reservation recorded: the action's own key finds the same reservation, which is released.
    h.reset();
    await h.compensateStep(placeOrderSaga, 'reserve', {
      sagaId: 's-3',
      data: order(),
      failure: { code: 'exchange_rejected', message: 'no' },
    });
    assert.deepEqual(
      h.calls.map((c) => `${c.method}@${c.idempotencyKey}`),
      ['reserveCash@s-3:reserve', 'releaseReservation@s-3:reserve:compensate'],
    );
    assert.deepEqual(released, ['r-known', 'r-acc-1']);

    // Refused: nothing was reserved, nothing is asked.
    h.reset();
    await h.compensateStep(placeOrderSaga, 'reserve', {
      data: order(),
      failure: { code: 'insufficient_funds', message: 'no' },
    });
    assert.deepEqual(h.calls, []);
    // Already released (not_found): done.
    await h.compensateStep(placeOrderSaga, 'reserve', { data: order({ reservationId: 'r-gone' }) });
  });

  it('chargeFee: charges the order its fee, and a refusal fails the saga; its compensation refunds', async () => {
    const h = handlerContext({
      service: 'orders',
      stubs: [
        stub(feesContract, {
          chargeFee: (req) =>
            req.accountId === 'poor'
              ? Promise.reject(new BusinessRuleError('insufficient_funds', 'no cash'))
              : { feeId: 'f-1', amount: req.amount },
          refundFee: (req) => ({ refunded: true, amount: req.amount ?? '0.00' }),
        }),
      ],
    });
    assert.deepEqual(
      await h.runStep(placeOrderSaga, 'chargeFee', { sagaId: 's-4', data: order() }),
      done({ feeCharged: true }),
    );
    assert.deepEqual(h.callsTo(feesContract, 'chargeFee'), [{ orderId: 'o-1', accountId: 'acc-1', amount: '1.00' }]);
    await assert.rejects(
      h.runStep(placeOrderSaga, 'chargeFee', { data: order({ accountId: 'poor' }) }),
      (e: unknown) => e instanceof SagaFailure && e.code === 'insufficient_funds',
    );
    await h.compensateStep(placeOrderSaga, 'chargeFee', { sagaId: 's-4', data: order({ feeCharged: true }) });
    assert.deepEqual(h.callsTo(feesContract, 'refundFee'), [{ orderId: 'o-1', accountId: 'acc-1', amount: '1.00' }]);
    assert.equal(h.calls.at(-1)!.idempotencyKey, 's-4:chargeFee:compensate');
  });

  it('awaitFill: waits for the fill until the order expires, then asks market to cancel it, once', async () => {
    const h = handlerContext({ service: 'orders' });
    const expiresAt = new Date(Date.now() + 60_000).toISOString();
    const started = await h.runStep(placeOrderSaga, 'awaitFill', { data: order({ expiresAt }) });
    assert.equal(started?.kind, 'wait');
    assert.deepEqual(started?.kind === 'wait' && started.signals, ['filled', 'canceled']);
    // Its timeout is the saga's deadline, the order's expiry (the runner wakes the wait with it).
    assert.equal(started?.kind === 'wait' && started.timeoutMs, undefined);
    assert.equal(placeOrderSaga.deadline!(order({ expiresAt })), expiresAt);
    assert.equal(h.sent.length, 0, 'nothing sent while it waits');

    const expired = await h.runStep(placeOrderSaga, 'awaitFill', {
      data: order({ expiresAt }),
      wakeUp: { kind: 'timeout' },
    });
    assert.deepEqual(expired, waitFor(['filled', 'canceled'], { patch: { expiryCancelSent: true } }));
    assert.deepEqual(h.sentOf(marketContract.commands.CancelOrderOnExchange), [{ orderId: 'o-1', reason: 'expired' }]);
    assert.equal(h.sent[0]!.key, 'o-1');

    // Once the cancel went out, it waits with no deadline; the exchange's cancel ends the order as expired.
    assert.equal(placeOrderSaga.deadline!(order({ expiresAt, expiryCancelSent: true })), undefined);
    const again = await h.runStep(placeOrderSaga, 'awaitFill', { data: order({ expiryCancelSent: true }) });
    assert.deepEqual(again, waitFor(['filled', 'canceled']));
    await assert.rejects(
      h.runStep(placeOrderSaga, 'awaitFill', {
        data: order({ expiryCancelSent: true }),
        wakeUp: {
          kind: 'signal',
          name: 'canceled',
          payload: { orderId: 'o-1', reason: 'expired', at: '2026-01-01T00:00:00.000Z' },
        },
      }),
      (e: unknown) => e instanceof SagaFailure && e.code === 'expired',
    );
    assert.equal(h.sent.length, 1);
    // A fill already recorded by the placement step: nothing more to do.
    assert.deepEqual(await h.runStep(placeOrderSaga, 'awaitFill', { data: order({ fillPrice: '10.00' }) }), done());
  });
});
