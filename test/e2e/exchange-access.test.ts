/**
 * The simulated exchange's API on the public port (issue 9 item 3, decision 0015): without the
 * exchange's API key — no token, a customer's token — its settings, orders and cancels are refused
 * and nothing changes; a customer cannot place an order under its own order's id ahead of market,
 * nor cancel it; admin still changes the exchange's settings through the admin route.
 * Assets of this file: NFLX.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import { show, useSystem } from './system.ts';

const sys = useSystem();

describe("the exchange's API is not open to the public", () => {
  afterEach(async () => {
    await sys.bank.resetExchange();
  });

  it('refuses settings, placements and cancels without the key (no token, a customer token); nothing changes; admin still can', async () => {
    const bank = sys.bank;
    const before = await bank.resetExchange();
    const { customer } = await bank.fundedCustomer('100.00');
    const someId = randomUUID();
    const attempts: Array<[string, string, unknown?]> = [
      ['GET', '/exchange/settings'],
      ['PUT', '/exchange/settings', { open: false, failureRate: 1, latencyMs: 60_000 }],
      [
        'POST',
        '/exchange/orders',
        { clientOrderId: someId, assetId: 'NFLX', side: 'buy', quantity: '1', limitPrice: '99999.00' },
      ],
      ['POST', `/exchange/orders/${someId}/cancel`, {}],
      ['POST', `/exchange/orders/by-client-id/${someId}/cancel`, {}],
    ];
    for (const token of [null, customer.accessToken]) {
      for (const [method, path, body] of attempts) {
        const res = await sys.http.request(method, path, { token, ...(body !== undefined ? { body } : {}) });
        assert.ok(
          res.status === 401 || res.status === 404,
          `${method} ${path} (${token ? 'customer token' : 'no token'}): ${show(res)}`,
        );
      }
    }
    // Nothing changed: the settings as they were (admin reads them back by an empty change).
    assert.deepEqual(await bank.setExchange({}), before);
    // Admin changes them through the admin route.
    assert.equal((await bank.setExchange({ fillDelayMs: 75 })).fillDelayMs, 75);
  });

  it('an admin reads the current settings (GET /v1/admin/simulation/exchange), as the last change left them; a customer may not', async () => {
    const bank = sys.bank;
    const admin = await bank.adminLogin();
    const changed = await bank.setExchange({ open: true, latencyMs: 5, failureRate: '0.25', fillDelayMs: 60 });
    const read = await admin.http.get('/v1/admin/simulation/exchange');
    assert.equal(read.status, 200, show(read));
    assert.deepEqual(read.body, changed);
    assert.deepEqual(read.body, { open: true, latencyMs: 5, failureRate: 0.25, fillDelayMs: 60 });
    const { customer } = await bank.fundedCustomer('1.00');
    const refused = await customer.http.get('/v1/admin/simulation/exchange');
    assert.equal(refused.status, 403, show(refused));
  });

  it("a customer's placement under its own order's id, with a higher limit, or a cancel of it, does not reach the exchange: the bank's order fills as placed", async () => {
    const bank = sys.bank;
    const { customer, account } = await bank.fundedCustomer('2000.00');
    await bank.pinPrice('NFLX', '100.00');
    // Closed: the bank's order is placed and waits there.
    await bank.setExchange({ open: false });
    const order = await bank.placeOrder(customer, {
      accountId: account.id,
      assetId: 'NFLX',
      side: 'buy',
      quantity: '2',
    });
    // The client order id on the exchange is the order's id: the customer knows it.
    const forged = { clientOrderId: order.id, assetId: 'NFLX', side: 'buy', quantity: '20', limitPrice: '5000.00' };
    for (const token of [null, customer.accessToken]) {
      const placed = await sys.http.request('POST', '/exchange/orders', { token, body: forged });
      assert.ok(placed.status === 401 || placed.status === 404, `forged placement: ${show(placed)}`);
      const canceled = await sys.http.request('POST', `/exchange/orders/by-client-id/${order.id}/cancel`, {
        token,
        body: {},
      });
      assert.ok(canceled.status === 401 || canceled.status === 404, `forged cancel: ${show(canceled)}`);
    }
    await bank.waitForOrder(customer, order.id, ['placed']);
    await bank.setExchange({ open: true });
    const filled = await bank.waitForOrder(customer, order.id, ['filled']);
    assert.equal(filled.quantity, '2');
    assert.equal(filled.fillPrice, '100.00');
    assert.equal(filled.limitPrice, order.limitPrice);
  });
});
