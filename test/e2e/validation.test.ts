/**
 * Bad input on every route that takes a body: 400 problem+json with a `code` (and `errors` for
 * validation failures), 413 for bodies over 64 KiB — never a 5xx, and nothing changes.
 * Asset of this file: ABC.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  expectProblem,
  expectStatus,
  show,
  type Account,
  type Customer,
  type Res,
  uniqueEmail,
  useSystem,
} from './system.ts';

const sys = useSystem();

/** A 400 validation problem with `errors: [{path, message}]`. */
function expectValidation(res: Res, what: string): void {
  assert.ok(res.status < 500, `${what}: never a 5xx, got ${show(res)}`);
  expectProblem(res, 400, 'validation_failed', what);
  assert.ok(
    Array.isArray(res.body.errors) && res.body.errors.length > 0,
    `${what}: errors[] expected, got ${show(res)}`,
  );
  for (const e of res.body.errors) {
    assert.equal(typeof e.path, 'string', `${what}: errors[].path, got ${show(res)}`);
    assert.equal(typeof e.message, 'string', `${what}: errors[].message, got ${show(res)}`);
  }
}

/** Any 400 problem with a code (malformed JSON and the like). */
function expectBadRequest(res: Res, what: string): void {
  assert.ok(res.status < 500, `${what}: never a 5xx, got ${show(res)}`);
  expectProblem(res, 400, undefined, what);
}

/** A fresh customer with 1000.00 on one account, and ABC pinned at 10.00. */
async function setup(): Promise<{ c: Customer; account: Account }> {
  const { customer: c, account } = await sys.bank.fundedCustomer('1000.00');
  await sys.bank.pinPrice('ABC', '10.00');
  return { c, account };
}

describe('validation', () => {
  it('refuses bad sign-up, login, refresh and logout bodies', async () => {
    const { c } = await setup();
    const h = sys.http;
    const good = { email: uniqueEmail(), password: 'long-enough-password', name: 'V' };
    const signups: [string, unknown][] = [
      ['email as number', { ...good, email: 42 }],
      ['missing password', { email: good.email, name: 'V' }],
      ['short password', { ...good, password: 'short' }],
      ['not an e-mail', { ...good, email: 'not-an-email' }],
      ['unknown field', { ...good, role: 'admin' }],
      ['array body', [good]],
    ];
    for (const [what, body] of signups) expectValidation(await h.post('/v1/auth/signup', body), `signup ${what}`);
    // None of them created the customer.
    expectStatus(await h.post('/v1/auth/signup', good), 201, 'the good signup afterwards');

    expectValidation(
      await h.post('/v1/auth/login', { email: good.email, password: 12345678901 }),
      'login password as number',
    );
    expectValidation(
      await h.post('/v1/auth/login', { email: good.email, password: good.password, remember: true }),
      'login unknown field',
    );
    expectValidation(await h.post('/v1/auth/refresh', { refreshToken: 123 }), 'refresh token as number');
    // No token in the body and no cookie (decision 0033: the cookie may carry it): nothing to refresh with.
    expectProblem(await h.post('/v1/auth/refresh', {}), 401, 'invalid_refresh_token', 'refresh without token');
    expectValidation(
      await h.post('/v1/auth/logout', { refreshToken: c.refreshToken, all: true }, { token: c.accessToken }),
      'logout unknown field',
    );
  });

  it('refuses a bad profile update and a bad account', async () => {
    const { c } = await setup();
    expectValidation(await c.http.patch('/v1/me', { name: 7 }), 'name as number');
    expectValidation(await c.http.patch('/v1/me', { preferences: { email: 'yes' } }), 'preference as string');
    expectValidation(await c.http.patch('/v1/me', { role: 'admin' }), 'role in PATCH /v1/me');
    expectValidation(await c.http.patch('/v1/me', { preferences: { fax: true } }), 'unknown preference');
    const me = await c.http.get('/v1/me');
    assert.equal(me.body.role, 'customer');

    expectValidation(await c.http.post('/v1/accounts', { name: 5 }), 'account name as number');
    expectValidation(await c.http.post('/v1/accounts', {}), 'account without name');
    expectValidation(await c.http.post('/v1/accounts', { name: 'x', currency: 'EUR' }), 'account unknown field');
    const list = await c.http.get('/v1/accounts');
    assert.equal(list.body.items.length, 1, 'no account was opened');
  });

  it('refuses bad deposits and withdrawals, and the cash does not move', async () => {
    const { c, account } = await setup();
    const deposit = (body: unknown) => c.http.post(`/v1/accounts/${account.id}/deposits`, body);
    const card = { number: '4242424242424242' };
    const deposits: [string, unknown][] = [
      ['amount as number', { amount: 100, method: 'card', card }],
      ['one decimal', { amount: '100.0', method: 'card', card }],
      ['three decimals', { amount: '100.001', method: 'card', card }],
      ['negative', { amount: '-5.00', method: 'card', card }],
      ['zero', { amount: '0.00', method: 'card', card }],
      ['unknown method', { amount: '10.00', method: 'cash' }],
      ['card missing for card', { amount: '10.00', method: 'card' }],
      ['card number too short', { amount: '10.00', method: 'card', card: { number: '4242' } }],
      ['card number as number', { amount: '10.00', method: 'card', card: { number: 4242424242424242 } }],
      ['unknown field', { amount: '10.00', method: 'bank_transfer', fee: '0.00' }],
    ];
    for (const [what, body] of deposits) expectValidation(await deposit(body), `deposit ${what}`);

    const withdraw = (body: unknown) => c.http.post(`/v1/accounts/${account.id}/withdrawals`, body);
    const withdrawals: [string, unknown][] = [
      ['amount as number', { amount: 10 }],
      ['three decimals', { amount: '10.001' }],
      ['negative', { amount: '-10.00' }],
      ['zero', { amount: '0.00' }],
      ['missing amount', {}],
      ['unknown field', { amount: '10.00', to: 'elsewhere' }],
    ];
    for (const [what, body] of withdrawals) expectValidation(await withdraw(body), `withdrawal ${what}`);
    assert.deepEqual(await sys.bank.cash(c, account.id), { available: '1000.00', reserved: '0.00' });
  });

  it('refuses bad orders, and no order is created', async () => {
    const { c, account } = await setup();
    const good = { accountId: account.id, assetId: 'ABC', side: 'buy', quantity: '1' };
    const orders: [string, unknown][] = [
      ['quantity as number', { ...good, quantity: 1 }],
      ['seven decimals', { ...good, quantity: '0.1234567' }],
      ['negative quantity', { ...good, quantity: '-1' }],
      ['zero quantity', { ...good, quantity: '0' }],
      ['zero quantity with decimals', { ...good, quantity: '0.000000' }],
      ['unknown side', { ...good, side: 'hold' }],
      ['missing accountId', { assetId: 'ABC', side: 'buy', quantity: '1' }],
      ['unknown field (limit price)', { ...good, limitPrice: '1.00' }],
      ['unknown field (type)', { ...good, type: 'limit' }],
    ];
    for (const [what, body] of orders) expectValidation(await c.http.post('/v1/orders', body), `order ${what}`);
    // An asset that does not exist is not a server error either.
    const unknownAsset = await c.http.post('/v1/orders', { ...good, assetId: 'NOPE-NOT-A-TICKER' });
    assert.ok([400, 404, 422].includes(unknownAsset.status), `unknown asset: ${show(unknownAsset)}`);
    expectProblem(unknownAsset, unknownAsset.status);
    const list = await c.http.get(`/v1/orders?accountId=${account.id}`);
    expectStatus(list, 200);
    assert.deepEqual(list.body.items, [], `no order was created: ${show(list)}`);
    assert.deepEqual(await sys.bank.cash(c, account.id), { available: '1000.00', reserved: '0.00' });
  });

  it('refuses bad admin bodies', async () => {
    const { c } = await setup();
    const admin = await sys.bank.adminLogin();
    const h = admin.http;
    const cases: [string, string, unknown][] = [
      ['fees minimum as number', '/v1/admin/fees/schedule', { minimum: 1, rate: '0.001' }],
      ['fees negative rate', '/v1/admin/fees/schedule', { minimum: '1.00', rate: '-0.001' }],
      ['fees unknown field', '/v1/admin/fees/schedule', { minimum: '1.00', rate: '0.001', currency: 'USD' }],
      ['price as number', '/v1/admin/simulation/prices/ABC', { price: 10 }],
      ['negative price', '/v1/admin/simulation/prices/ABC', { price: '-1.00' }],
      ['price with three decimals', '/v1/admin/simulation/prices/ABC', { price: '10.001' }],
      ['price unknown field', '/v1/admin/simulation/prices/ABC', { price: '10.00', volatility: 2 }],
      ['failure rate above 1', '/v1/admin/simulation/exchange', { failureRate: 2 }],
      ['open as string', '/v1/admin/simulation/exchange', { open: 'yes' }],
      ['negative latency', '/v1/admin/simulation/exchange', { latencyMs: -1 }],
      ['exchange unknown field', '/v1/admin/simulation/exchange', { explode: true }],
    ];
    for (const [what, path, body] of cases) expectValidation(await h.put(path, body), `admin ${what}`);
    // Nothing changed.
    const fees = await c.http.get('/v1/fees/schedule');
    assert.equal(fees.body.minimum, '1.00');
    assert.equal(fees.body.rate, '0.001');
    assert.equal((await c.http.get('/v1/assets/ABC')).body.price, '10.00');
  });

  it('refuses malformed JSON on every route with a body (400 problem+json with a code)', async () => {
    const { c, account } = await setup();
    const admin = await sys.bank.adminLogin();
    const routes: [string, string, string | undefined][] = [
      ['POST', '/v1/auth/signup', undefined],
      ['POST', '/v1/auth/login', undefined],
      ['POST', '/v1/auth/refresh', undefined],
      ['POST', '/v1/auth/logout', c.accessToken],
      ['PATCH', '/v1/me', c.accessToken],
      ['POST', '/v1/accounts', c.accessToken],
      ['POST', `/v1/accounts/${account.id}/deposits`, c.accessToken],
      ['POST', `/v1/accounts/${account.id}/withdrawals`, c.accessToken],
      ['POST', '/v1/orders', c.accessToken],
      ['PUT', '/v1/admin/fees/schedule', admin.accessToken],
      ['PUT', '/v1/admin/simulation/prices/ABC', admin.accessToken],
      ['PUT', '/v1/admin/simulation/exchange', admin.accessToken],
    ];
    for (const [method, path, token] of routes) {
      for (const raw of ['{"amount": "10.00",', "{'single': 1}", 'not json at all']) {
        const res = await sys.http.request(method, path, { rawBody: raw, token: token ?? null });
        expectBadRequest(res, `${method} ${path} with ${JSON.stringify(raw)}`);
      }
    }
  });

  it('refuses bodies over 64 KiB with 413', async () => {
    const { c, account } = await setup();
    const big = 'x'.repeat(70 * 1024);
    const cases: [string, string, unknown, string | null][] = [
      ['POST', '/v1/auth/signup', { email: uniqueEmail(), password: 'long-enough-password', name: big }, null],
      [
        'POST',
        '/v1/orders',
        { accountId: account.id, assetId: 'ABC', side: 'buy', quantity: '1', note: big },
        c.accessToken,
      ],
      [
        'POST',
        `/v1/accounts/${account.id}/deposits`,
        { amount: '10.00', method: 'bank_transfer', note: big },
        c.accessToken,
      ],
    ];
    for (const [method, path, body, token] of cases) {
      const res = await sys.http.request(method, path, { body, token });
      assert.ok(res.status < 500, `${path}: never a 5xx, got ${show(res)}`);
      expectProblem(res, 413, undefined, `${method} ${path} oversize`);
    }
    assert.deepEqual(await sys.bank.cash(c, account.id), { available: '1000.00', reserved: '0.00' });
  });

  it('refuses a bad Idempotency-Key and bad pagination parameters', async () => {
    const { c, account } = await setup();
    const tooLong = 'k'.repeat(256);
    const res = await c.http.post(
      '/v1/orders',
      { accountId: account.id, assetId: 'ABC', side: 'buy', quantity: '1' },
      { idempotencyKey: tooLong },
    );
    expectBadRequest(res, 'Idempotency-Key of 256 characters');
    for (const q of ['limit=0', 'limit=201', 'limit=abc', 'cursor=%00%01garbage']) {
      const r = await c.http.get(`/v1/orders?${q}`);
      expectBadRequest(r, `GET /v1/orders?${q}`);
    }
    const badStatus = await c.http.get('/v1/orders?status=lost');
    expectBadRequest(badStatus, 'unknown status filter');
  });

  it('refuses cursors that decode to numbers out of range, on every list, with 400', async () => {
    const { c, account } = await setup();
    const huge = (prefix: string) => Buffer.from(`${prefix}9999999999999999999`).toString('base64url');
    for (const path of [
      `/v1/orders?cursor=${huge('')}`,
      `/v1/notifications?cursor=${huge('n:')}`,
      `/v1/accounts/${account.id}/transactions?cursor=${huge('e:')}`,
      '/v1/assets?cursor=AA',
    ]) {
      expectBadRequest(await c.http.get(path), `GET ${path}`);
    }
  });

  it('refuses a NUL character in any text with 400, wherever it is', async () => {
    const { c, account } = await setup();
    const cases: Array<[string, string, unknown]> = [
      ['POST', '/v1/auth/signup', { email: uniqueEmail(), password: 'long-enough-password', name: 'Ann\u0000' }],
      ['POST', '/v1/auth/login', { email: 'nobody\u0000@example.com', password: 'long-enough-password' }],
      ['PATCH', '/v1/me', { name: 'A\u0000B' }],
      ['POST', '/v1/accounts', { name: 'Main\u0000' }],
      ['GET', '/v1/assets?q=%00', undefined],
    ];
    for (const [method, path, body] of cases) {
      const res = await c.http.request(method, path, body === undefined ? {} : { body });
      expectBadRequest(res, `${method} ${path} with NUL`);
    }
    assert.equal((await c.http.get(`/v1/accounts/${account.id}`)).status, 200);
  });
});
