/**
 * When the exchange misbehaves, and cancels: the saga's compensations seen from the outside — the
 * order's end state and reason, and the account exactly as it was. Each test sets the exchange as it
 * needs and resets it afterwards. The failing-exchange test is last (market's circuit breaker may
 * stay open for a while after it). Assets of this file: TSLA, AMZN.
 * (Against a shared system, run this file alone: it changes the exchange for everyone.)
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { cents, expectStatus, micros, money, notional, show, useSystem } from './system.ts';

const sys = useSystem();

describe('failures and cancels', () => {
  afterEach(async () => {
    await sys.bank.resetExchange();
  });

  it('expires an order the closed exchange never fills (placed → expired), with the cash back exactly', async () => {
    const bank = sys.bank;
    const { customer, account } = await bank.fundedCustomer('2000.00');
    await bank.pinPrice('TSLA', '250.00');
    const settings = await bank.setExchange({ open: false });
    assert.equal(settings.open, false, JSON.stringify(settings));

    const order = await bank.placeOrder(customer, {
      accountId: account.id,
      assetId: 'TSLA',
      side: 'buy',
      quantity: '2',
    });
    const placed = await bank.waitForOrder(customer, order.id, ['placed', 'expired']);
    if (placed.status === 'placed') {
      // Reserved 2 × 262.50 and charged the 1.00 fee while it waits.
      const cash = await bank.cash(customer, account.id);
      assert.equal(
        cents(cash.available) + cents(cash.reserved),
        200000n - 100n,
        `while placed: ${JSON.stringify(cash)}`,
      );
    }
    const expired = await bank.waitForOrder(customer, order.id, ['expired']);
    assert.equal(expired.reason, 'expired');
    assert.equal(expired.fillPrice, null);
    const statuses = expired.history.map((h) => h.status);
    assert.equal(statuses[0], 'pending');
    assert.ok(statuses.includes('placed'), `history: ${JSON.stringify(expired.history)}`);
    assert.equal(statuses.at(-1), 'expired');
    await bank.waitForCash(customer, account.id, '2000.00', '0.00');
    assert.equal((await bank.position(customer, account.id, 'TSLA')).quantity, 0n);
    // It was reserved and charged, then released and refunded (C3, C2).
    const kinds = await bank.assertNoNetEffect(customer, account.id, order.id);
    for (const k of ['reservation', 'release', 'fee', 'fee_refund'])
      assert.ok(kinds.has(k), `ledger entry ${k} for the expired order: ${[...kinds]}`);
    await bank.assertTrialBalance();
  });

  it('expires a sell on the closed exchange, releasing the reserved shares', async () => {
    const bank = sys.bank;
    const { customer, account } = await bank.fundedCustomer('2000.00');
    await bank.pinPrice('AMZN', '130.00');
    const buy = await bank.trade(customer, { accountId: account.id, assetId: 'AMZN', side: 'buy', quantity: '3' });
    const afterBuy = money(200000n - notional('3', buy.fillPrice!) - cents(buy.fee));
    await bank.waitForCash(customer, account.id, afterBuy, '0.00');
    await bank.waitForPosition(customer, account.id, 'AMZN', micros('3'));

    await bank.setExchange({ open: false });
    await bank.pinPrice('AMZN', '130.00');
    const sell = await bank.placeOrder(customer, {
      accountId: account.id,
      assetId: 'AMZN',
      side: 'sell',
      quantity: '3',
    });
    const expired = await bank.waitForOrder(customer, sell.id, ['expired']);
    assert.equal(expired.reason, 'expired');
    await bank.waitForCash(customer, account.id, afterBuy, '0.00');
    await bank.waitForPosition(customer, account.id, 'AMZN', micros('3'), 0n);
    const kinds = await bank.assertNoNetEffect(customer, account.id, sell.id);
    for (const k of ['reservation', 'release', 'fee', 'fee_refund'])
      assert.ok(kinds.has(k), `ledger entry ${k} for the expired sell: ${[...kinds]}`);
    await bank.assertTrialBalance();
  });

  it('cancels an order right after it is posted (before or after placement): canceled, cash unchanged', async () => {
    const bank = sys.bank;
    const { customer, account } = await bank.fundedCustomer('1500.00');
    await bank.pinPrice('TSLA', '250.00');
    // Closed, so that whichever path the cancel takes, no fill can overtake it.
    await bank.setExchange({ open: false });
    const order = await bank.placeOrder(customer, {
      accountId: account.id,
      assetId: 'TSLA',
      side: 'buy',
      quantity: '1',
    });
    const cancel = await customer.http.post(`/v1/orders/${order.id}/cancel`);
    expectStatus(cancel, 202, 'cancel');
    assert.equal(cancel.body.id, order.id);
    const canceled = await bank.waitForOrder(customer, order.id, ['canceled']);
    assert.equal(canceled.reason, 'canceled_by_customer');
    assert.equal(canceled.fillPrice, null);
    await bank.waitForCash(customer, account.id, '1500.00', '0.00');
    assert.equal((await bank.position(customer, account.id, 'TSLA')).quantity, 0n);
    await bank.assertNoNetEffect(customer, account.id, order.id);
    await bank.assertTrialBalance();
  });

  it('cancels a placed order on the exchange: canceled, fee refunded, reservation released', async () => {
    const bank = sys.bank;
    const { customer, account } = await bank.fundedCustomer('1500.00');
    await bank.pinPrice('TSLA', '250.00');
    await bank.setExchange({ open: false });
    const order = await bank.placeOrder(customer, {
      accountId: account.id,
      assetId: 'TSLA',
      side: 'buy',
      quantity: '4',
    });
    await bank.waitForOrder(customer, order.id, ['placed']);
    const cancel = await customer.http.post(`/v1/orders/${order.id}/cancel`);
    expectStatus(cancel, 202, 'cancel of a placed order');
    const canceled = await bank.waitForOrder(customer, order.id, ['canceled']);
    assert.equal(canceled.reason, 'canceled_by_customer');
    const statuses = canceled.history.map((h) => h.status);
    assert.ok(
      statuses.includes('placed') && statuses.at(-1) === 'canceled',
      `history: ${JSON.stringify(canceled.history)}`,
    );
    await bank.waitForCash(customer, account.id, '1500.00', '0.00');
    const kinds = await bank.assertNoNetEffect(customer, account.id, order.id);
    for (const k of ['reservation', 'release', 'fee', 'fee_refund'])
      assert.ok(kinds.has(k), `ledger entry ${k} for the canceled order: ${[...kinds]}`);
    // A second cancel of the now terminal order is refused.
    const again = await customer.http.post(`/v1/orders/${order.id}/cancel`);
    assert.equal(again.status, 409, show(again));
    assert.equal(again.body?.code, 'order_not_cancelable', show(again));
    await bank.assertTrialBalance();
  });

  it('fails an order the failing exchange never accepts (exchange_unavailable): fee refunded, reservation released', async () => {
    const bank = sys.bank;
    const { customer, account } = await bank.fundedCustomer('3000.00');
    await bank.pinPrice('AMZN', '130.00');
    const settings = await bank.setExchange({ failureRate: 1 });
    assert.equal(Number(settings.failureRate), 1, JSON.stringify(settings));
    const order = await bank.placeOrder(customer, {
      accountId: account.id,
      assetId: 'AMZN',
      side: 'buy',
      quantity: '10',
    });
    const failed = await bank.waitForOrder(customer, order.id, ['failed']);
    assert.equal(failed.reason, 'exchange_unavailable');
    assert.equal(failed.fillPrice, null);
    await bank.waitForCash(customer, account.id, '3000.00', '0.00');
    assert.equal((await bank.position(customer, account.id, 'AMZN')).quantity, 0n);
    const kinds = await bank.assertNoNetEffect(customer, account.id, order.id);
    for (const k of ['reservation', 'release', 'fee', 'fee_refund'])
      assert.ok(kinds.has(k), `ledger entry ${k} for the failed order: ${[...kinds]}`);
    await bank.assertTrialBalance();
  });
});
