/** Investments through the gateway, strategy-orders stubbed at its contract: the destination is the caller's own, validation, refusals passed on. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Envelope } from '@simplebank/chassis';
import { startGateway, token, type Gateway } from './helpers.ts';
import { ADMIN, ALICE, BOB, INVESTMENT, strategyOrdersStub, world } from './stubs.ts';

function isProblem(r: { status: number; headers: Headers; body: any }, status: number, code: string): void {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.match(r.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(r.body.code, code);
}

describe('gateway investments', () => {
  let gw: Gateway;
  let alice: string;
  let bob: string;
  let admin: string;
  const seen: Array<{ method: string; request: any; envelope: Envelope }> = [];
  const calls = (method: string) => seen.filter((s) => s.method === method);

  before(async () => {
    gw = await startGateway(world().stubs);
    await gw.stub(strategyOrdersStub(seen));
    alice = await token(ALICE);
    bob = await token(BOB);
    admin = await token(ADMIN, 'admin');
  });
  after(() => gw.stop());

  const body = {
    destinationAccountId: 'acc-alice',
    amount: '1000.00',
    method: 'card',
    card: { number: '4242424242424242' },
  };
  const invest = (who: string, b: unknown, headers: Record<string, string> = {}) =>
    gw.request('POST', '/v1/strategies/s-1/investments', { token: who, body: b, headers });

  it('a customer invests into their own account: 202 with a Location, strategy-orders asked as them with a key scoped to them', async () => {
    const r = await invest(alice, body, { 'idempotency-key': 'inv-1' });
    assert.equal(r.status, 202, r.text);
    assert.deepEqual(r.body, INVESTMENT);
    assert.equal(r.headers.get('location'), '/v1/investments/i-1');
    const call = calls('invest').at(-1)!;
    assert.deepEqual(call.request, { strategyId: 's-1', ...body });
    assert.deepEqual(call.envelope.identity, { customerId: ALICE, role: 'customer' });
    assert.equal(call.envelope.idempotencyKey, `${ALICE}:inv-1`);
  });

  it("another customer's account is a 404 before anything else, even with a malformed body; strategy-orders is not asked", async () => {
    const before = calls('invest').length;
    isProblem(await invest(bob, body), 404, 'not_found');
    isProblem(await invest(bob, { ...body, amount: 12 }), 404, 'not_found');
    isProblem(await invest(alice, { ...body, destinationAccountId: 'acc-nope' }), 404, 'not_found');
    isProblem(await gw.request('POST', '/v1/strategies/s-1/investments', { body }), 401, 'unauthorized');
    assert.equal(calls('invest').length, before);
  });

  it('refuses a malformed investment at the door (400): a zero amount, a float, a card with a bank transfer, no card with a card', async () => {
    const before = calls('invest').length;
    for (const bad of [
      { ...body, amount: '0.00' },
      { ...body, amount: 10.5 },
      { ...body, method: 'bank_transfer' },
      { destinationAccountId: 'acc-alice', amount: '10.00', method: 'card' },
      { ...body, extra: 1 },
    ]) {
      isProblem(await invest(alice, bad), 400, 'validation_failed');
    }
    isProblem(await invest(alice, 'not json at all'), 400, 'validation_failed');
    assert.equal(calls('invest').length, before);
  });

  it("passes strategy-orders' refusals on: an admin investing is 403", async () => {
    isProblem(await gw.request('POST', '/v1/strategies/s-1/investments', { token: admin, body }), 403, 'forbidden');
  });

  it('reads: the list, one investment, 404 for what is not yours', async () => {
    const list = await gw.request('GET', '/v1/investments?limit=5', { token: alice });
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(list.body, { items: [INVESTMENT], nextCursor: null });
    assert.deepEqual(calls('listInvestments').at(-1)!.request, { limit: 5 });
    const one = await gw.request('GET', '/v1/investments/i-1', { token: alice });
    assert.equal(one.status, 200, one.text);
    isProblem(await gw.request('GET', '/v1/investments/i-1', { token: bob }), 404, 'not_found');
    isProblem(await gw.request('GET', '/v1/investments/bad%20id', { token: alice }), 400, 'validation_failed');
  });

  it('documents the routes in the OpenAPI document', async () => {
    const doc = (await gw.request('GET', '/v1/openapi.json')).body;
    assert.ok(doc.paths['/v1/strategies/{strategyId}/investments'].post.responses['202']);
    assert.ok(doc.paths['/v1/investments'].get);
    assert.ok(doc.paths['/v1/investments/{investmentId}'].get.responses['404']);
    assert.ok(doc.tags.some((t: { name: string }) => t.name === 'investments'));
  });
});
