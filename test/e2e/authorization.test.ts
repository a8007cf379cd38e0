/**
 * Who may see and do what: another customer's resources answer 404, admin routes answer 403 to a
 * customer, and requests without a valid token answer 401. Asset of this file: VOD.
 */
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { expectProblem, expectStatus, show, type Order, type Payment, useSystem } from './system.ts';

const sys = useSystem();

function b64url(x: string | Buffer): string {
  return Buffer.from(x).toString('base64url');
}

/** A JWT signed HS256 with `secret` (not the gateway's). */
function forgedJwt(claims: Record<string, unknown>, secret = 'not-the-gateway-secret-not-the-gateway-secret'): string {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify(claims));
  const sig = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

/** Alice with an account, a completed deposit and a filled order; Bob with an account of his own. */
async function twoCustomers() {
  const bank = sys.bank;
  const { customer: alice, account: aliceAccount } = await bank.fundedCustomer();
  const alicePayment: Payment = await bank.deposit(alice, aliceAccount.id, '1000.00');
  await bank.pinPrice('VOD', '12.34');
  const aliceOrder: Order = await bank.trade(alice, {
    accountId: aliceAccount.id,
    assetId: 'VOD',
    side: 'buy',
    quantity: '10',
  });
  const { customer: bob, account: bobAccount } = await bank.fundedCustomer('100.00');
  return { alice, aliceAccount, alicePayment, aliceOrder, bob, bobAccount };
}

describe('authorization', () => {
  it("answers 404 for another customer's account, holdings, transactions, payment and order", async () => {
    const { alice, aliceAccount, alicePayment, aliceOrder, bob } = await twoCustomers();
    const reads = [
      `/v1/accounts/${aliceAccount.id}`,
      `/v1/accounts/${aliceAccount.id}/holdings`,
      `/v1/accounts/${aliceAccount.id}/transactions`,
      `/v1/payments/${alicePayment.id}`,
      `/v1/orders/${aliceOrder.id}`,
    ];
    for (const path of reads) {
      expectProblem(await bob.http.get(path), 404, 'not_found', `bob GET ${path}`);
      expectStatus(await alice.http.get(path), 200, `alice GET ${path}`);
    }
    // And an id that does not exist at all answers the same.
    expectProblem(await bob.http.get(`/v1/accounts/${randomUUID()}`), 404, 'not_found', 'unknown account');
    expectProblem(await bob.http.get(`/v1/orders/${randomUUID()}`), 404, 'not_found', 'unknown order');
    expectProblem(await bob.http.get(`/v1/payments/${randomUUID()}`), 404, 'not_found', 'unknown payment');
  });

  it("refuses to act on another customer's account or order (404), changing nothing", async () => {
    const bank = sys.bank;
    const { alice, aliceAccount, aliceOrder, bob, bobAccount } = await twoCustomers();
    const bobBefore = await bank.cash(bob, bobAccount.id);
    const before = await bank.cash(alice, aliceAccount.id);
    expectProblem(await bank.requestDeposit(bob, aliceAccount.id, '10.00'), 404, 'not_found', 'deposit into alice');
    expectProblem(
      await bob.http.post(`/v1/accounts/${aliceAccount.id}/withdrawals`, { amount: '10.00' }),
      404,
      'not_found',
      'withdraw from alice',
    );
    await bank.pinPrice('VOD', '12.34');
    const order = await bank.placeOrderRaw(bob, {
      accountId: aliceAccount.id,
      assetId: 'VOD',
      side: 'sell',
      quantity: '1',
    });
    expectProblem(order, 404, 'not_found', 'order on alice account');
    expectProblem(await bob.http.post(`/v1/orders/${aliceOrder.id}/cancel`), 404, 'not_found', 'cancel alice order');
    assert.deepEqual(await bank.cash(alice, aliceAccount.id), before);
    assert.equal((await bank.getOrder(alice, aliceOrder.id)).status, 'filled');
    assert.deepEqual(await bank.cash(bob, bobAccount.id), bobBefore);
    const bobOrders = await bob.http.get('/v1/orders');
    assert.deepEqual(bobOrders.body.items, [], `no order for bob: ${show(bobOrders)}`);
  });

  it("lists only the caller's own accounts and orders", async () => {
    const { aliceAccount, bob, bobAccount } = await twoCustomers();
    const accounts = await bob.http.get('/v1/accounts');
    expectStatus(accounts, 200);
    assert.deepEqual(
      accounts.body.items.map((a: { id: string }) => a.id),
      [bobAccount.id],
    );
    const orders = await bob.http.get('/v1/orders');
    expectStatus(orders, 200);
    assert.deepEqual(orders.body.items, []);
    const filtered = await bob.http.get(`/v1/orders?accountId=${aliceAccount.id}`);
    assert.ok(
      filtered.status === 404 || (filtered.status === 200 && filtered.body.items.length === 0),
      `bob filtering by alice's account: ${show(filtered)}`,
    );
  });

  it('answers 403 to a customer on every admin route', async () => {
    const { customer: bob } = await sys.bank.fundedCustomer();
    await sys.bank.pinPrice('VOD', '12.34');
    const routes: [string, string, unknown?][] = [
      ['GET', '/v1/admin/ledger/trial-balance'],
      ['GET', '/v1/admin/dead-letters'],
      ['POST', `/v1/admin/dead-letters/${randomUUID()}/replay`],
      ['PUT', '/v1/admin/fees/schedule', { minimum: '0.00', rate: '0' }],
      ['PUT', '/v1/admin/simulation/prices/VOD', { price: '0.01' }],
      ['PUT', '/v1/admin/simulation/exchange', { open: false }],
    ];
    for (const [method, path, body] of routes) {
      const res = await bob.http.request(method, path, body !== undefined ? { body } : {});
      expectProblem(res, 403, undefined, `customer ${method} ${path}`);
    }
    // Nothing changed: VOD still quotes its pinned price, fees still default.
    const asset = await bob.http.get('/v1/assets/VOD');
    expectStatus(asset, 200);
    assert.equal(asset.body.price, '12.34');
    const fees = await bob.http.get('/v1/fees/schedule');
    expectStatus(fees, 200);
    assert.equal(fees.body.minimum, '1.00');
    assert.equal(fees.body.rate, '0.001');
  });

  it('authenticates and authorizes before it validates: an invalid body on an admin route is 401 without a token, 403 for a customer', async () => {
    const { customer: bob } = await sys.bank.fundedCustomer();
    const invalid: [string, string, unknown][] = [
      ['PUT', '/v1/admin/fees/schedule', { minimum: 'lots', rate: [] }],
      ['PUT', '/v1/admin/simulation/exchange', { open: 'maybe', extra: 1 }],
    ];
    for (const [method, path, body] of invalid) {
      expectProblem(
        await bob.http.request(method, path, { body, token: null }),
        401,
        undefined,
        `no token ${method} ${path}`,
      );
      expectProblem(await bob.http.request(method, path, { body }), 403, undefined, `customer ${method} ${path}`);
    }
  });

  it('answers 401 without a token, with a forged token, and with garbage', async () => {
    const { alice, aliceAccount, bob } = await twoCustomers();
    const now = Math.floor(Date.now() / 1000);
    const tokens: [string, string | null][] = [
      ['no token', null],
      ['forged (wrong key)', forgedJwt({ sub: alice.id, role: 'admin', iat: now, exp: now + 600 })],
      [
        'alg none',
        `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${b64url(JSON.stringify({ sub: alice.id, role: 'admin', exp: now + 600 }))}.`,
      ],
      [
        'tampered payload',
        (() => {
          const [h, , s] = alice.accessToken.split('.');
          return `${h}.${b64url(JSON.stringify({ sub: bob.id, role: 'admin', exp: now + 600 }))}.${s}`;
        })(),
      ],
      ['garbage', 'not-a-jwt'],
    ];
    const routes: [string, string][] = [
      ['GET', '/v1/me'],
      ['GET', '/v1/accounts'],
      ['GET', `/v1/accounts/${aliceAccount.id}`],
      ['GET', '/v1/orders'],
      ['GET', '/v1/notifications'],
      ['GET', '/v1/admin/ledger/trial-balance'],
    ];
    for (const [label, token] of tokens) {
      for (const [method, path] of routes) {
        expectProblem(await sys.http.request(method, path, { token }), 401, undefined, `${label}: ${method} ${path}`);
      }
    }
    // Bodies are not even looked at without a token.
    expectProblem(
      await sys.http.post(
        '/v1/orders',
        { accountId: aliceAccount.id, assetId: 'VOD', side: 'sell', quantity: '1' },
        { token: null },
      ),
      401,
      undefined,
      'order without token',
    );
    expectProblem(
      await sys.http.post('/v1/accounts', { name: 'x' }, { token: null }),
      401,
      undefined,
      'account without token',
    );
  });

  it('lets the admin use admin routes (trial balance balanced)', async () => {
    await sys.bank.assertTrialBalance();
    const admin = await sys.bank.adminLogin();
    const dl = await admin.http.get('/v1/admin/dead-letters');
    expectStatus(dl, 200, 'dead letters');
    assert.ok(Array.isArray(dl.body.items), show(dl));
  });
});
