/** The public API's edges: validation, ownership, idempotency, request ids, unavailability, OpenAPI. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startGateway, token, type Gateway } from './helpers.ts';
import { ALICE, BOB, world } from './stubs.ts';

function isProblem(r: { status: number; headers: Headers; body: any }, status: number, code: string): void {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.match(r.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(r.body.status, status);
  assert.equal(r.body.code, code);
  for (const field of ['type', 'title', 'detail', 'instance']) assert.equal(typeof r.body[field], 'string', field);
}

describe('gateway API', () => {
  let gw: Gateway;
  let w: ReturnType<typeof world>;
  let alice: string;
  let bob: string;
  before(async () => {
    w = world();
    gw = await startGateway(w.stubs);
    alice = await token(ALICE);
    bob = await token(BOB);
  });
  after(() => gw.stop());

  describe('accounts', () => {
    it('shows an account with its cash, without its owner, calling the services as the customer', async () => {
      const r = await gw.request('GET', '/v1/accounts/acc-alice', {
        token: alice,
        headers: { 'x-request-id': 'req-123' },
      });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, {
        id: 'acc-alice',
        name: 'Main',
        currency: 'USD',
        status: 'open',
        cash: { available: '900.00', reserved: '100.00' },
        createdAt: '2026-11-22T10:15:30.123Z',
      });
      const call = w.last('getBalances')!;
      assert.deepEqual(call.envelope.identity, { customerId: ALICE, role: 'customer' });
      assert.equal(call.envelope.correlationId, 'req-123');
      assert.ok(call.envelope.deadline! > Date.now() && call.envelope.deadline! <= Date.now() + 10_000);
    });

    it("answers 404 problem for another customer's account, and asks nothing more", async () => {
      const before = w.seen.length;
      const r = await gw.request('GET', '/v1/accounts/acc-alice', { token: bob });
      isProblem(r, 404, 'not_found');
      assert.deepEqual(
        w.seen.slice(before).map((s) => s.method),
        ['getAccount'],
      );
      const deposit = await gw.request('POST', '/v1/accounts/acc-alice/deposits', {
        token: bob,
        body: { amount: '10.00', method: 'bank_transfer' },
      });
      isProblem(deposit, 404, 'not_found');
      assert.equal(w.seen.filter((s) => s.method === 'requestDeposit').length, 0);
      // Authorized before validated: a bad body for someone else's account learns nothing of the schema.
      for (const path of ['deposits', 'withdrawals']) {
        isProblem(
          await gw.request('POST', `/v1/accounts/acc-alice/${path}`, { token: bob, body: { amount: 'lots' } }),
          404,
          'not_found',
        );
      }
      for (const path of ['transactions?limit=0', 'holdings'])
        isProblem(await gw.request('GET', `/v1/accounts/acc-alice/${path}`, { token: bob }), 404, 'not_found');
      // One ownership check per request, also for the owner.
      const mine = w.seen.length;
      assert.equal((await gw.request('GET', '/v1/accounts/acc-alice/transactions', { token: alice })).status, 200);
      assert.deepEqual(
        w.seen
          .slice(mine)
          .map((s) => s.method)
          .filter((m) => m === 'getAccount'),
        ['getAccount'],
      );
    });

    it('lists accounts with cash; opens one (201, Location); lists ledger entries with the page asked for', async () => {
      const list = await gw.request('GET', '/v1/accounts', { token: alice });
      assert.equal(list.status, 200);
      assert.deepEqual(
        list.body.items.map((a: { id: string }) => a.id),
        ['acc-alice'],
      );
      assert.equal(list.body.items[0].cash.available, '900.00');
      assert.equal(list.body.nextCursor, null);
      assert.deepEqual(w.last('listAccounts')!.request, { limit: 50 });

      const opened = await gw.request('POST', '/v1/accounts', { token: alice, body: { name: 'Savings' } });
      assert.equal(opened.status, 201);
      assert.equal(opened.headers.get('location'), '/v1/accounts/acc-new');
      assert.deepEqual(opened.body.cash, { available: '0.00', reserved: '0.00' });
      assert.equal('ownerId' in opened.body, false);

      const entries = await gw.request('GET', '/v1/accounts/acc-alice/transactions?limit=2&cursor=abc', {
        token: alice,
      });
      assert.equal(entries.status, 200);
      assert.equal(entries.body.nextCursor, 'next-page');
      assert.deepEqual(w.last('listEntries')!.request, { accountId: 'acc-alice', limit: 2, cursor: 'abc' });
      const tooMany = await gw.request('GET', '/v1/accounts/acc-alice/transactions?limit=201', { token: alice });
      isProblem(tooMany, 400, 'validation_failed');
      const notANumber = await gw.request('GET', '/v1/accounts?limit=ten', { token: alice });
      isProblem(notANumber, 400, 'validation_failed');
    });
  });

  describe('profile and market data', () => {
    it("changes the profile of the token's customer only (JSON with a charset accepted)", async () => {
      const r = await gw.request('PATCH', '/v1/me', {
        token: alice,
        raw: JSON.stringify({ name: 'Alice B', preferences: { sms: true } }),
        headers: { 'content-type': 'application/json; charset=utf-8' },
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.name, 'Alice B');
      assert.deepEqual(r.body.preferences, { email: true, sms: true, push: true });
      assert.deepEqual(w.last('updateProfile')!.request, {
        customerId: ALICE,
        name: 'Alice B',
        preferences: { sms: true },
      });
      isProblem(
        await gw.request('PATCH', '/v1/me', { token: alice, body: { email: 'new@example.com' } }),
        400,
        'validation_failed',
      );
    });

    it('searches assets with q and type, shows one, lists prices', async () => {
      const r = await gw.request('GET', '/v1/assets?q=app&type=stock', { token: alice });
      assert.equal(r.status, 200);
      assert.equal(r.body.items[0].id, 'AAPL');
      assert.deepEqual(w.last('searchAssets')!.request, { q: 'app', type: 'stock', limit: 50 });
      isProblem(await gw.request('GET', '/v1/assets?type=bond', { token: alice }), 400, 'validation_failed');
      assert.equal((await gw.request('GET', '/v1/assets/AAPL', { token: alice })).body.price, '190.00');
      isProblem(await gw.request('GET', '/v1/assets/NOPE', { token: alice }), 404, 'not_found');
      assert.deepEqual((await gw.request('GET', '/v1/prices', { token: alice })).body, {
        items: [{ assetId: 'AAPL', price: '190.00', at: '2026-11-22T10:15:30.123Z' }],
      });
    });

    it('refuses a body of another media type with 415', async () => {
      const r = await gw.request('POST', '/v1/accounts', {
        token: alice,
        raw: '<name>x</name>',
        headers: { 'content-type': 'application/xml' },
      });
      isProblem(r, 415, 'unsupported_media_type');
    });
  });

  describe('validation', () => {
    const cases: Array<{ name: string; path: string; body?: unknown; raw?: string; paths?: string }> = [
      {
        name: 'a number where an amount string is expected',
        path: '/v1/accounts/acc-alice/deposits',
        body: { amount: 10, method: 'bank_transfer' },
        paths: 'amount',
      },
      {
        name: 'an amount with one decimal',
        path: '/v1/accounts/acc-alice/deposits',
        body: { amount: '10.5', method: 'bank_transfer' },
        paths: 'amount',
      },
      {
        name: 'a negative amount',
        path: '/v1/accounts/acc-alice/withdrawals',
        body: { amount: '-10.00' },
        paths: 'amount',
      },
      { name: 'a zero amount', path: '/v1/accounts/acc-alice/withdrawals', body: { amount: '0.00' }, paths: 'amount' },
      {
        name: 'a zero quantity',
        path: '/v1/orders',
        body: { accountId: 'acc-alice', assetId: 'AAPL', side: 'buy', quantity: '0' },
        paths: 'quantity',
      },
      {
        name: 'a negative quantity',
        path: '/v1/orders',
        body: { accountId: 'acc-alice', assetId: 'AAPL', side: 'buy', quantity: '-1' },
        paths: 'quantity',
      },
      {
        name: 'an unknown field',
        path: '/v1/orders',
        body: { accountId: 'acc-alice', assetId: 'AAPL', side: 'buy', quantity: '1', price: '1.00' },
        paths: 'price',
      },
      {
        name: 'a card deposit without a card',
        path: '/v1/accounts/acc-alice/deposits',
        body: { amount: '10.00', method: 'card' },
        paths: 'card',
      },
      { name: 'a missing body', path: '/v1/orders' },
    ];
    for (const c of cases) {
      it(`refuses ${c.name} with 400 validation_failed and field errors`, async () => {
        const r = await gw.request('POST', c.path, { token: alice, ...(c.body !== undefined ? { body: c.body } : {}) });
        isProblem(r, 400, 'validation_failed');
        assert.ok(Array.isArray(r.body.errors) && r.body.errors.length > 0);
        for (const e of r.body.errors) assert.equal(typeof e.message, 'string');
        if (c.paths)
          assert.ok(
            r.body.errors.some((e: { path: string }) => e.path.includes(c.paths!)),
            JSON.stringify(r.body.errors),
          );
      });
    }

    it('refuses malformed JSON with 400, never a 5xx', async () => {
      const r = await gw.request('POST', '/v1/orders', { token: alice, raw: '{"accountId": "acc-alice", ' });
      isProblem(r, 400, 'malformed_request');
      assert.ok(Array.isArray(r.body.errors));
    });

    it('refuses a body over 64 KiB with 413', async () => {
      const r = await gw.request('POST', '/v1/accounts', {
        token: alice,
        raw: JSON.stringify({ name: 'x'.repeat(70 * 1024) }),
      });
      isProblem(r, 413, 'payload_too_large');
    });

    it('refuses a bad Idempotency-Key and a bad X-Deadline-Ms with 400', async () => {
      const body = { accountId: 'acc-alice', assetId: 'AAPL', side: 'buy', quantity: '1' };
      isProblem(
        await gw.request('POST', '/v1/orders', { token: alice, body, headers: { 'idempotency-key': 'k'.repeat(256) } }),
        400,
        'validation_failed',
      );
      isProblem(
        await gw.request('GET', '/v1/accounts', { token: alice, headers: { 'x-deadline-ms': '0' } }),
        400,
        'validation_failed',
      );
      isProblem(
        await gw.request('GET', '/v1/accounts', { token: alice, headers: { 'x-deadline-ms': '60001' } }),
        400,
        'validation_failed',
      );
    });

    it('answers an unknown route with a 404 problem', async () => {
      isProblem(await gw.request('GET', '/v1/nowhere', { token: alice }), 404, 'not_found');
      isProblem(await gw.request('DELETE', '/v1/me', { token: alice }), 404, 'not_found');
    });
  });

  describe('idempotency', () => {
    it('passes `${customerId}:${key}` to the service; a repeat gets the first answer (202), another body 409 idempotency_key_reused', async () => {
      const body = { accountId: 'acc-alice', assetId: 'AAPL', side: 'buy', quantity: '2.5' };
      const first = await gw.request('POST', '/v1/orders', {
        token: alice,
        body,
        headers: { 'idempotency-key': 'order-1' },
      });
      assert.equal(first.status, 202);
      assert.equal(first.body.status, 'pending');
      assert.equal(first.headers.get('location'), `/v1/orders/${first.body.id}`);
      assert.equal(w.last('placeOrder')!.envelope.idempotencyKey, `${ALICE}:order-1`);

      const again = await gw.request('POST', '/v1/orders', {
        token: alice,
        body,
        headers: { 'idempotency-key': 'order-1' },
      });
      assert.equal(again.status, 202);
      assert.equal(again.body.id, first.body.id);

      const other = await gw.request('POST', '/v1/orders', {
        token: alice,
        body: { ...body, quantity: '3' },
        headers: { 'idempotency-key': 'order-1' },
      });
      isProblem(other, 409, 'idempotency_key_reused');

      // Bob's key of the same name is his own.
      const bobs = await gw.request('POST', '/v1/orders', {
        token: bob,
        body,
        headers: { 'idempotency-key': 'order-1' },
      });
      assert.equal(bobs.status, 202);
      assert.notEqual(bobs.body.id, first.body.id);
      assert.equal(w.last('placeOrder')!.envelope.idempotencyKey, `${BOB}:order-1`);
    });

    it('without the header, each request gets a fresh key (served, not deduplicated)', async () => {
      const body = { amount: '25.00', method: 'card', card: { number: '4242424242424242' } };
      const a = await gw.request('POST', '/v1/accounts/acc-alice/deposits', { token: alice, body });
      const b = await gw.request('POST', '/v1/accounts/acc-alice/deposits', { token: alice, body });
      assert.equal(a.status, 202);
      assert.equal(b.status, 202);
      assert.notEqual(a.body.id, b.body.id);
      assert.equal(a.headers.get('location'), `/v1/payments/${a.body.id}`);
      assert.equal(a.body.amount, '25.00');
      assert.ok(w.last('requestDeposit')!.envelope.idempotencyKey!.startsWith(`${ALICE}:`));
    });
  });

  describe('orders and admin routes', () => {
    it('cancels an order (202), and maps order_not_cancelable to 409', async () => {
      const ok = await gw.request('POST', '/v1/orders/o-1/cancel', { token: alice });
      assert.equal(ok.status, 202);
      assert.equal(ok.body.status, 'canceled');
      isProblem(await gw.request('POST', '/v1/orders/o-filled/cancel', { token: alice }), 409, 'order_not_cancelable');
      isProblem(await gw.request('GET', '/v1/orders/o-2', { token: alice }), 404, 'not_found');
    });

    it('passes list filters through, and refuses an unknown status', async () => {
      const r = await gw.request('GET', '/v1/orders?accountId=acc-alice&status=filled&limit=5', { token: alice });
      assert.equal(r.status, 200);
      assert.deepEqual(w.last('listOrders')!.request, { accountId: 'acc-alice', status: 'filled', limit: 5 });
      isProblem(await gw.request('GET', '/v1/orders?status=lost', { token: alice }), 400, 'validation_failed');
    });

    it('pins and releases a price as an admin', async () => {
      const admin = await token('c-admin', 'admin');
      const pinned = await gw.request('PUT', '/v1/admin/simulation/prices/AAPL', {
        token: admin,
        body: { price: '150.00' },
      });
      assert.equal(pinned.status, 200);
      assert.equal(pinned.body.price, '150.00');
      const released = await gw.request('PUT', '/v1/admin/simulation/prices/AAPL', {
        token: admin,
        body: { pinned: false },
      });
      assert.equal(released.status, 200);
      assert.deepEqual(w.last('unpinPrice')!.request, { assetId: 'AAPL' });
      isProblem(
        await gw.request('PUT', '/v1/admin/simulation/prices/AAPL', { token: admin, body: { price: 150 } }),
        400,
        'validation_failed',
      );
    });

    it('serves the fee schedule without its version', async () => {
      const r = await gw.request('GET', '/v1/fees/schedule', { token: alice });
      assert.deepEqual(r.body, { minimum: '1.00', rate: '0.001', effectiveFrom: '2026-11-22T10:15:30.123Z' });
    });
  });

  describe('request ids and unavailability', () => {
    it('echoes a valid X-Request-Id and creates one otherwise, on every answer', async () => {
      const echoed = await gw.request('GET', '/v1/accounts', {
        token: alice,
        headers: { 'x-request-id': 'abc.DEF_123-x' },
      });
      assert.equal(echoed.headers.get('x-request-id'), 'abc.DEF_123-x');
      const invalid = await gw.request('GET', '/v1/accounts', {
        token: alice,
        headers: { 'x-request-id': 'has spaces!' },
      });
      assert.match(invalid.headers.get('x-request-id')!, /^[0-9a-f-]{36}$/);
      const created = await gw.request('GET', '/v1/nowhere');
      assert.match(created.headers.get('x-request-id')!, /^[0-9a-f-]{36}$/);
      assert.equal(created.body.requestId, created.headers.get('x-request-id'));
      const unauthorized = await gw.request('GET', '/v1/me', { headers: { 'x-request-id': 'r-401' } });
      assert.equal(unauthorized.headers.get('x-request-id'), 'r-401');
    });

    it('passes the rest of X-Deadline-Ms on to the services', async () => {
      const sent = Date.now();
      await gw.request('GET', '/v1/accounts/acc-alice', { token: alice, headers: { 'x-deadline-ms': '3000' } });
      const deadline = w.last('getAccount')!.envelope.deadline!;
      assert.ok(deadline <= sent + 3000 + 1000 && deadline > sent, `${deadline - sent}`);
    });

    it('measures requests by route template and status class', async () => {
      await gw.request('GET', '/v1/accounts/acc-alice', { token: alice });
      const metrics = await (await fetch(`${gw.url}/metrics`)).text();
      assert.match(
        metrics,
        /simplebank_http_server_duration_seconds_count\{[^}]*route="\/v1\/accounts\/:accountId"[^}]*status_class="2xx"[^}]*\} [1-9]/,
      );
    });

    it('answers 503 with Retry-After when a service is unavailable (no instance)', async () => {
      const r = await gw.request('GET', '/v1/strategies', { token: alice });
      isProblem(r, 503, 'service_unavailable');
      assert.ok(Number(r.headers.get('retry-after')) > 0);
    });

    it("shows an account's holdings as holdings answers them, and 404 for another customer's", async () => {
      const r = await gw.request('GET', '/v1/accounts/acc-alice/holdings', { token: alice });
      assert.equal(r.status, 200);
      const body = r.body as {
        valuation: string;
        positions: { assetId: string; value: string }[];
        totalValue: string;
      };
      assert.equal(body.valuation, 'live');
      assert.deepEqual(
        body.positions.map((p) => [p.assetId, p.value]),
        [['AAPL', '1100.00']],
      );
      assert.equal(body.totalValue, '5100.00');
      isProblem(await gw.request('GET', '/v1/accounts/acc-bob/holdings', { token: alice }), 404, 'not_found');
    });
    it('answers 504 deadline_exceeded when the work ran out of its time budget', async () => {
      const r = await gw.request('GET', '/v1/assets/LATE', { token: alice, headers: { 'x-deadline-ms': '2000' } });
      isProblem(r, 504, 'deadline_exceeded');
      assert.ok(Number(r.headers.get('retry-after')) > 0);
    });
  });

  describe('documentation', () => {
    it('publishes OpenAPI 3.1 listing every route, with problem details for errors', async () => {
      const r = await gw.request('GET', '/v1/openapi.json');
      assert.equal(r.status, 200);
      assert.match(r.body.openapi, /^3\.1\./);
      assert.equal(typeof r.body.info.title, 'string');
      const expected: Array<[string, string]> = [
        ['post', '/v1/auth/signup'],
        ['post', '/v1/auth/login'],
        ['post', '/v1/auth/refresh'],
        ['post', '/v1/auth/logout'],
        ['get', '/v1/me'],
        ['patch', '/v1/me'],
        ['post', '/v1/accounts'],
        ['get', '/v1/accounts'],
        ['get', '/v1/accounts/{accountId}'],
        ['post', '/v1/accounts/{accountId}/deposits'],
        ['post', '/v1/accounts/{accountId}/withdrawals'],
        ['get', '/v1/payments/{paymentId}'],
        ['get', '/v1/accounts/{accountId}/transactions'],
        ['get', '/v1/accounts/{accountId}/holdings'],
        ['get', '/v1/assets'],
        ['get', '/v1/assets/{assetId}'],
        ['get', '/v1/assets/{assetId}/prices'],
        ['get', '/v1/prices'],
        ['post', '/v1/orders'],
        ['get', '/v1/orders'],
        ['get', '/v1/orders/{orderId}'],
        ['post', '/v1/orders/{orderId}/cancel'],
        ['get', '/v1/fees/schedule'],
        ['get', '/v1/notifications'],
        ['post', '/v1/notifications/{id}/read'],
        ['put', '/v1/admin/fees/schedule'],
        ['get', '/v1/admin/ledger/trial-balance'],
        ['get', '/v1/admin/dead-letters'],
        ['post', '/v1/admin/dead-letters/{id}/replay'],
        ['delete', '/v1/admin/dead-letters/{id}'],
        ['get', '/v1/admin/sagas/{service}/{sagaId}'],
        ['put', '/v1/admin/simulation/prices/{assetId}'],
        ['put', '/v1/admin/simulation/exchange'],
      ];
      for (const [method, path] of expected)
        assert.ok(r.body.paths[path]?.[method], `${method.toUpperCase()} ${path} documented`);
      const deposit = r.body.paths['/v1/accounts/{accountId}/deposits'].post;
      assert.ok(deposit.responses['404'].content['application/problem+json'].schema.properties.code);
      assert.ok(deposit.requestBody.content['application/json'].schema.properties.amount.pattern);
      assert.ok(
        deposit.parameters.some((p: { name: string; in: string }) => p.name === 'idempotency-key' && p.in === 'header'),
      );
      // Every report says how current it is.
      for (const [method, path] of [
        ['get', '/v1/reports/orders'],
        ['get', '/v1/admin/reports/fees'],
        ['get', '/v1/accounts/{accountId}/statement'],
        ['post', '/v1/admin/reports/rebuild'],
      ] as const) {
        assert.equal(
          r.body.paths[path]?.[method]?.responses['200'].headers?.['X-Data-As-Of']?.schema?.format,
          'date-time',
          `${method.toUpperCase()} ${path}: X-Data-As-Of documented`,
        );
      }
    });

    it('serves interactive docs at /docs', async () => {
      const r = await gw.request('GET', '/docs');
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type')!, /text\/html/);
      assert.ok(r.headers.get('x-request-id'));
    });
  });
});
