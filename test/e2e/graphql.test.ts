/**
 * GraphQL at the gateway, end to end: after a deposit and two buys, the account read through
 * POST /graphql is exactly what /v1 answers (cash, holdings, orders), decimals as strings; another
 * customer's account is null with NOT_FOUND; no token is 401; the limits refuse with X-Request-Id.
 * Assets of this file: NVDA, IBM (prices pinned before the buys).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expectProblem, micros, show, useSystem, type Customer, type Res } from './system.ts';

const sys = useSystem();

function gql(c: Customer | null, query: string, variables?: Record<string, unknown>): Promise<Res> {
  return sys.http.post('/graphql', { query, ...(variables ? { variables } : {}) }, { token: c ? c.accessToken : null });
}

const ACCOUNT_QUERY = `query Account($id: ID!) {
  account(id: $id) {
    id
    name
    cash { available reserved }
    currentHoldings { asset { id name type price } quantity reservedQuantity averageCost price value }
    orders(first: 10) { id status side quantity fillPrice fee asset { id name } }
  }
}`;

describe('GraphQL', () => {
  it('reads an account exactly as /v1 does: cash, holdings valued, orders with their assets', async () => {
    const bank = sys.bank;
    const { customer, account } = await bank.fundedCustomer('5000.00');
    await bank.pinPrice('NVDA', '120.00');
    await bank.pinPrice('IBM', '200.00');
    const nvda = await bank.trade(customer, { accountId: account.id, assetId: 'NVDA', side: 'buy', quantity: '3' });
    const ibm = await bank.trade(customer, { accountId: account.id, assetId: 'IBM', side: 'buy', quantity: '2.5' });
    await bank.waitForPosition(customer, account.id, 'NVDA', micros('3'));
    await bank.waitForPosition(customer, account.id, 'IBM', micros('2.5'));

    const r = await gql(customer, ACCOUNT_QUERY, { id: account.id });
    assert.equal(r.status, 200, show(r));
    assert.ok(r.headers.get('x-request-id'));
    assert.equal(r.body.errors, undefined, show(r));
    const g = r.body.data.account;

    const rest = await customer.http.get(`/v1/accounts/${account.id}`);
    assert.equal(rest.status, 200, show(rest));
    const holdings = await bank.holdings(customer, account.id);
    const orders = await customer.http.get(`/v1/orders?accountId=${account.id}&limit=10`);
    assert.equal(orders.status, 200, show(orders));

    assert.equal(g.id, account.id);
    assert.equal(g.name, rest.body.name);
    assert.deepEqual(g.cash, rest.body.cash);
    assert.deepEqual(g.cash, holdings.cash);
    assert.deepEqual(
      g.currentHoldings.map((h: any) => ({
        assetId: h.asset.id,
        quantity: h.quantity,
        reservedQuantity: h.reservedQuantity,
        averageCost: h.averageCost,
        price: h.price,
        value: h.value,
      })),
      holdings.positions.map((p: any) => ({
        assetId: p.assetId,
        quantity: p.quantity,
        reservedQuantity: p.reservedQuantity,
        averageCost: p.averageCost,
        price: p.price ?? null,
        value: p.value ?? null,
      })),
    );
    for (const h of g.currentHoldings) {
      const asset = await customer.http.get(`/v1/assets/${h.asset.id}`);
      assert.deepEqual(h.asset, {
        id: asset.body.id,
        name: asset.body.name,
        type: asset.body.type,
        price: asset.body.price,
      });
    }
    assert.deepEqual(
      g.orders,
      orders.body.items.map((o: any) => ({
        id: o.id,
        status: o.status,
        side: o.side,
        quantity: o.quantity,
        fillPrice: o.fillPrice,
        fee: o.fee,
        asset: { id: o.assetId, name: g.currentHoldings.find((h: any) => h.asset.id === o.assetId).asset.name },
      })),
    );
    assert.deepEqual(g.orders.map((o: any) => o.id).sort(), [nvda.id, ibm.id].sort());
    // Decimals are strings in the JSON itself, never numbers.
    assert.equal(typeof g.cash.available, 'string');
    assert.doesNotMatch(r.text, /"(available|reserved|quantity|averageCost|price|value|fee|fillPrice)":\s*-?\d/);

    // The accounts list says the same.
    const list = await gql(customer, '{ accounts { id cash { available } } }');
    assert.deepEqual(list.body.data.accounts, [{ id: account.id, cash: { available: rest.body.cash.available } }]);
  });

  it("answers another customer's account as null with NOT_FOUND, and a request without a token with 401", async () => {
    const bank = sys.bank;
    const { account } = await bank.fundedCustomer();
    const other = await bank.signUp('GraphQL other');
    const r = await gql(other, ACCOUNT_QUERY, { id: account.id });
    assert.equal(r.status, 200, show(r));
    assert.equal(r.body.data.account, null);
    assert.equal(r.body.errors[0].extensions.code, 'NOT_FOUND');

    const none = await gql(null, ACCOUNT_QUERY, { id: account.id });
    expectProblem(none, 401, 'unauthorized');
  });

  it('refuses a query over the depth limit with a GraphQL error and X-Request-Id; serves the SDL', async () => {
    const customer = await sys.bank.signUp('GraphQL deep');
    const deep = await gql(customer, '{ accounts { orders { account { orders { account { orders { id } } } } } } }');
    assert.equal(deep.status, 400, show(deep));
    assert.ok(deep.headers.get('x-request-id'));
    assert.equal(deep.body.errors[0].extensions.code, 'QUERY_TOO_DEEP');

    const sdl = await sys.http.get('/graphql/schema.graphql');
    assert.equal(sdl.status, 200);
    assert.match(sdl.text, /scalar Decimal/);
    assert.match(sdl.text, /type Account \{/);
  });
});
