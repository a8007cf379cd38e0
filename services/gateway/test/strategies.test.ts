/** Strategies through the gateway, the strategies service stubbed at its contract: who may do what, validation, refusals passed on. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Envelope } from '@simplebank/chassis';
import { startGateway, token, type Gateway } from './helpers.ts';
import { ADMIN, ALICE, STRATEGY, strategiesStub, world } from './stubs.ts';

function isProblem(r: { status: number; headers: Headers; body: any }, status: number, code: string): void {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.match(r.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(r.body.status, status);
  assert.equal(r.body.code, code);
  assert.equal(r.body.type, `https://simplebank.dev/problems/${code}`);
}

describe('gateway strategies', () => {
  let gw: Gateway;
  let admin: string;
  let alice: string;
  const seen: Array<{ method: string; request: any; envelope: Envelope }> = [];
  const calls = (method: string) => seen.filter((s) => s.method === method);

  before(async () => {
    gw = await startGateway(world().stubs);
    await gw.stub(strategiesStub(seen));
    admin = await token(ADMIN, 'admin');
    alice = await token(ALICE);
  });
  after(() => gw.stop());

  const body = {
    name: 'Thirds',
    assets: [
      { assetId: 'AAPL', percentage: '33.33' },
      { assetId: 'MSFT', percentage: '33.33' },
      { assetId: 'SPY', percentage: '33.34' },
    ],
  };

  it('an admin creates a strategy: 201 with a Location, the service called as the admin with a key scoped to them', async () => {
    const r = await gw.request('POST', '/v1/admin/strategies', {
      token: admin,
      body,
      headers: { 'idempotency-key': 'new-strategy-1' },
    });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.body, STRATEGY);
    assert.equal(r.headers.get('location'), '/v1/strategies/s-1');
    const call = calls('createStrategy').at(-1)!;
    assert.deepEqual(call.request, body);
    assert.deepEqual(call.envelope.identity, { customerId: ADMIN, role: 'admin' });
    assert.equal(call.envelope.idempotencyKey, `${ADMIN}:new-strategy-1`);
  });

  it('a customer may not create one (403), whatever the body, and the service is not asked', async () => {
    const before = calls('createStrategy').length;
    isProblem(await gw.request('POST', '/v1/admin/strategies', { token: alice, body }), 403, 'forbidden');
    isProblem(
      await gw.request('POST', '/v1/admin/strategies', { token: alice, body: { bad: true } }),
      403,
      'forbidden',
    );
    isProblem(await gw.request('POST', '/v1/admin/strategies', { body }), 401, 'unauthorized');
    assert.equal(calls('createStrategy').length, before);
  });

  it('refuses a malformed body at the door (400): numbers for percentages, no assets, extra fields', async () => {
    const before = calls('createStrategy').length;
    const asNumber = await gw.request('POST', '/v1/admin/strategies', {
      token: admin,
      body: { name: 'Floats', assets: [{ assetId: 'SPY', percentage: 100 }] },
    });
    isProblem(asNumber, 400, 'validation_failed');
    assert.deepEqual(
      asNumber.body.errors.map((e: { path: string }) => e.path),
      ['body/assets/0/percentage'],
    );
    isProblem(
      await gw.request('POST', '/v1/admin/strategies', { token: admin, body: { name: 'None', assets: [] } }),
      400,
      'validation_failed',
    );
    isProblem(
      await gw.request('POST', '/v1/admin/strategies', { token: admin, body: { ...body, risk: 'high' } }),
      400,
      'validation_failed',
    );
    isProblem(
      await gw.request('POST', '/v1/admin/strategies', { token: admin, body: { name: '', assets: body.assets } }),
      400,
      'validation_failed',
    );
    assert.equal(calls('createStrategy').length, before);
  });

  it("passes the service's refusals on as problem details: 422 allocations_must_sum_to_100, 400 for an unknown asset", async () => {
    const short = await gw.request('POST', '/v1/admin/strategies', { token: admin, body: { ...body, name: 'Short' } });
    isProblem(short, 422, 'allocations_must_sum_to_100');
    assert.deepEqual(short.body.errors, [{ path: '/assets', message: 'percentages sum to 99.99' }]);
    const unknown = await gw.request('POST', '/v1/admin/strategies', {
      token: admin,
      body: { name: 'Unknown', assets: [{ assetId: 'NOPE', percentage: '100' }] },
    });
    isProblem(unknown, 400, 'validation_failed');
    assert.deepEqual(unknown.body.errors, [{ path: '/assets/0/assetId', message: 'no asset NOPE' }]);
  });

  it('any customer lists and reads strategies; a missing one is a 404 problem', async () => {
    const list = await gw.request('GET', '/v1/strategies?limit=10&cursor=abc', { token: alice });
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(list.body, { items: [STRATEGY], nextCursor: 'next' });
    assert.deepEqual(calls('listStrategies').at(-1)!.request, { limit: 10, cursor: 'abc' });
    assert.deepEqual(calls('listStrategies').at(-1)!.envelope.identity, { customerId: ALICE, role: 'customer' });
    const one = await gw.request('GET', '/v1/strategies/s-1', { token: alice });
    assert.equal(one.status, 200, one.text);
    assert.deepEqual(one.body, STRATEGY);
    isProblem(await gw.request('GET', '/v1/strategies/s-404', { token: alice }), 404, 'not_found');
    isProblem(await gw.request('GET', '/v1/strategies', {}), 401, 'unauthorized');
  });

  it('documents the routes in the OpenAPI document', async () => {
    const doc = (await gw.request('GET', '/v1/openapi.json')).body;
    assert.ok(doc.paths['/v1/admin/strategies'].post.responses['422']);
    assert.ok(doc.paths['/v1/strategies'].get);
    assert.ok(doc.paths['/v1/strategies/{strategyId}'].get.responses['404']);
    assert.ok(doc.tags.some((t: { name: string }) => t.name === 'strategies'));
  });
});
