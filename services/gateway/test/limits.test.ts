/** The business limits at the door (docs/limits.md): refused by the gateway's schemas, shown in OpenAPI. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startGateway, token, type Gateway } from './helpers.ts';
import { ADMIN, ALICE, world } from './stubs.ts';

describe('gateway: business limits', () => {
  let gw: Gateway;
  let w: ReturnType<typeof world>;
  let alice: string;
  let admin: string;
  before(async () => {
    w = world();
    gw = await startGateway(w.stubs);
    alice = await token(ALICE);
    admin = await token(ADMIN, 'admin');
  });
  after(() => gw.stop());

  const refusedOn = (r: { status: number; body: any }, field: string) => {
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(r.body.code, 'validation_failed');
    assert.ok(
      r.body.errors.some(
        (e: { path: string; message: string }) => e.path.includes(field) && e.message.includes('1000000.00'),
      ),
      JSON.stringify(r.body),
    );
  };

  it('refuses a deposit or a withdrawal over 1000000.00 (400 on the amount) without asking payments; the limit itself passes', async () => {
    const before = w.seen.length;
    for (const amount of ['999999999999999.99', '1000000.01', '10000000.00']) {
      refusedOn(
        await gw.request('POST', '/v1/accounts/acc-alice/deposits', {
          token: alice,
          body: { amount, method: 'bank_transfer' },
        }),
        'amount',
      );
      refusedOn(
        await gw.request('POST', '/v1/accounts/acc-alice/withdrawals', { token: alice, body: { amount } }),
        'amount',
      );
    }
    assert.equal(
      w.seen.slice(before).filter((s) => s.method === 'requestDeposit' || s.method === 'requestWithdrawal').length,
      0,
    );
    const ok = await gw.request('POST', '/v1/accounts/acc-alice/deposits', {
      token: alice,
      body: { amount: '1000000.00', method: 'bank_transfer' },
    });
    assert.equal(ok.status, 202, JSON.stringify(ok.body));
  });

  it('refuses a pinned price over 1000000.00 (400 on the price)', async () => {
    for (const price of ['999999999999999.99', '1000000.01'])
      refusedOn(await gw.request('PUT', '/v1/admin/simulation/prices/ABC', { token: admin, body: { price } }), 'price');
  });

  it('documents the limits and the settling status in OpenAPI', async () => {
    const r = await gw.request('GET', '/v1/openapi.json');
    assert.equal(r.status, 200);
    const amount =
      r.body.paths['/v1/accounts/{accountId}/deposits'].post.requestBody.content['application/json'].schema.properties
        .amount;
    assert.equal(amount['x-maximum'], '1000000.00');
    assert.match(amount.description, /at most 1000000\.00/);
    const withdrawal =
      r.body.paths['/v1/accounts/{accountId}/withdrawals'].post.requestBody.content['application/json'].schema
        .properties.amount;
    assert.equal(withdrawal['x-maximum'], '1000000.00');
    const price =
      r.body.paths['/v1/admin/simulation/prices/{assetId}'].put.requestBody.content['application/json'].schema
        .properties.price;
    assert.equal(price['x-maximum'], '1000000.00');
    const order = r.body.paths['/v1/orders'].post;
    assert.equal(order.requestBody.content['application/json'].schema['x-maximum-notional'], '10000000.00');
    assert.match(order.requestBody.content['application/json'].schema.description, /limit_exceeded/);
    assert.ok(order.responses['422']);
    const payment = r.body.paths['/v1/payments/{paymentId}'].get.responses['200'].content['application/json'].schema;
    assert.match(JSON.stringify(payment), /settling/);
  });
});
