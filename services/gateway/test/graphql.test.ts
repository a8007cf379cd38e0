/**
 * GraphQL at the gateway, every service it calls stubbed at its contract and counting its calls:
 * decimals as strings, the authorization of /v1 (another customer's account: null + NOT_FOUND; no
 * token: 401), depth and cost limits, and batching (one call per service per query level; see
 * graphql/loaders.ts for the services that answer one account per call).
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { NotFoundError, type Envelope, type Transport } from '@simplebank/chassis';
import { stubService } from '@simplebank/chassis/testing';
import { accountsContract } from '@simplebank/accounts/contract';
import { customersContract } from '@simplebank/customers/contract';
import { holdingsContract } from '@simplebank/holdings/contract';
import { marketDataContract } from '@simplebank/market-data/contract';
import { ordersContract } from '@simplebank/orders/contract';
import { strategiesContract } from '@simplebank/strategies/contract';
import { strategyOrdersContract } from '@simplebank/strategy-orders/contract';
import { transactionsContract } from '@simplebank/transactions/contract';
import { startGateway, token, type Answer, type Gateway } from './helpers.ts';
import { ALICE, BOB, NOW, customer } from './stubs.ts';

const ALICE_ACCOUNTS = ['acc-a1', 'acc-a2', 'acc-a3', 'acc-a4', 'acc-a5'];
const ASSETS = {
  AAPL: {
    id: 'AAPL',
    name: 'Apple Inc.',
    type: 'stock' as const,
    currency: 'USD' as const,
    price: '228.97',
    updatedAt: NOW,
  },
  MSFT: {
    id: 'MSFT',
    name: 'Microsoft',
    type: 'stock' as const,
    currency: 'USD' as const,
    price: '410.10',
    updatedAt: NOW,
  },
  SPY: {
    id: 'SPY',
    name: 'SPDR S&P 500',
    type: 'etf' as const,
    currency: 'USD' as const,
    price: '512.00',
    updatedAt: NOW,
  },
};
const ASSET_IDS = Object.keys(ASSETS) as Array<keyof typeof ASSETS>;

describe('gateway GraphQL', () => {
  let gw: Gateway;
  let alice: string;
  let bob: string;
  const seen: Array<{ method: string; request: any; envelope: Envelope }> = [];
  const calls = (method: string) => seen.filter((s) => s.method === method);
  const record = (method: string, request: unknown, envelope: Envelope) => seen.push({ method, request, envelope });

  type Acc = { id: string; ownerId: string; name: string; currency: 'USD'; status: 'open'; createdAt: string };
  const accounts = new Map<string, Acc>([
    ...ALICE_ACCOUNTS.map((id, i): [string, Acc] => [
      id,
      { id, ownerId: ALICE, name: `Alice ${i + 1}`, currency: 'USD', status: 'open', createdAt: NOW },
    ]),
    ['acc-bob', { id: 'acc-bob', ownerId: BOB, name: 'Bob', currency: 'USD', status: 'open', createdAt: NOW }],
  ]);
  const owned = (accountId: string, envelope: Envelope) => {
    const a = accounts.get(accountId);
    const who = envelope.identity;
    if (!a || !who || (who.role === 'customer' && a.ownerId !== who.customerId))
      throw new NotFoundError('No such account');
    return a;
  };
  const ownedOrNull = (accountId: string, envelope: Envelope) => {
    try {
      return owned(accountId, envelope);
    } catch {
      return null;
    }
  };
  /** Two orders per account, over the three assets (so assets repeat across accounts). */
  const ordersOf = (accountId: string) =>
    [0, 1].map((n) => {
      const i = ALICE_ACCOUNTS.indexOf(accountId) + n;
      return {
        id: `${accountId}-o${n}`,
        accountId,
        assetId: ASSET_IDS[((i % 3) + 3) % 3]!,
        side: 'buy' as const,
        quantity: '2.000000',
        type: 'market' as const,
        status: 'filled' as const,
        quotePrice: '228.97',
        limitPrice: '240.41',
        fee: '1.00',
        fillPrice: '228.97',
        reason: null,
        createdAt: NOW,
        updatedAt: NOW,
        history: [{ status: 'filled' as const, at: NOW }],
        source: 'customer' as const,
      };
    });

  const stubs = [
    (t: Transport) =>
      stubService(t, customersContract, {
        sessionActive: () => ({ active: true }),
        getCustomer: (req, env) => {
          record('getCustomer', req, env);
          return customer(req.customerId, 'alice@example.com', 'Alice');
        },
      }),
    (t: Transport) =>
      stubService(t, accountsContract, {
        getAccount: (req, env) => {
          record('getAccount', req, env);
          return owned(req.accountId, env);
        },
        getAccounts: (req, env) => {
          record('getAccounts', req, env);
          return {
            items: req.accountIds.map((id) => {
              try {
                return owned(id, env);
              } catch {
                return null;
              }
            }),
          };
        },
        listAccounts: (req, env) => {
          record('listAccounts', req, env);
          return {
            items: [...accounts.values()].filter((a) => a.ownerId === env.identity?.customerId),
            nextCursor: null,
          };
        },
      }),
    (t: Transport) =>
      stubService(t, transactionsContract, {
        getBalancesOf: (req, env) => {
          record('getBalancesOf', req, env);
          return {
            items: req.accountIds.map((accountId) => ({
              accountId,
              cash: { available: '1234.50', reserved: '0.10' },
              positions: [],
            })),
          };
        },
      }),
    (t: Transport) =>
      stubService(t, holdingsContract, {
        getHoldingsOf: async (req, env) => {
          record('getHoldingsOf', req, env);
          // Slower than the orders: their assets still go in one batch with the orders' (Scheduler).
          await new Promise((r) => setTimeout(r, 30));
          return {
            items: req.accountIds.map((accountId) => {
              try {
                owned(accountId, env);
              } catch {
                return null;
              }
              return {
                accountId,
                asOf: NOW,
                valuation: 'live' as const,
                cash: { available: '1234.50', reserved: '0.10' },
                positions: [
                  {
                    assetId: 'SPY',
                    quantity: '1.500000',
                    reservedQuantity: '0.000000',
                    averageCost: '500.00',
                    price: '512.00',
                    value: '768.00',
                  },
                ],
                totalValue: '2002.60',
              };
            }),
          };
        },
      }),
    (t: Transport) =>
      stubService(t, ordersContract, {
        listOrdersOf: (req, env) => {
          record('listOrdersOf', req, env);
          return {
            items: req.accountIds.map((accountId) => ({
              accountId,
              items: ownedOrNull(accountId, env) ? ordersOf(accountId).slice(0, req.limit ?? 50) : [],
              nextCursor: null,
            })),
          };
        },
      }),
    (t: Transport) =>
      stubService(t, marketDataContract, {
        getAssets: (req, env) => {
          record('getAssets', req, env);
          return { items: req.assetIds.flatMap((id) => (id in ASSETS ? [ASSETS[id as keyof typeof ASSETS]] : [])) };
        },
        getAsset: (req, env) => {
          record('getAsset', req, env);
          throw new Error('getAsset must not be called: getAssets batches');
        },
        searchAssets: (req, env) => {
          record('searchAssets', req, env);
          return { items: Object.values(ASSETS).slice(0, req.limit ?? 50), nextCursor: null };
        },
      }),
    (t: Transport) =>
      stubService(t, strategiesContract, {
        getStrategies: (req, env) => {
          record('getStrategies', req, env);
          return {
            items: req.strategyIds.map((id) =>
              id === 's-1'
                ? {
                    id: 's-1',
                    name: 'Halves',
                    assets: [
                      { assetId: 'AAPL', percentage: '50.00' },
                      { assetId: 'MSFT', percentage: '50.00' },
                    ],
                    createdById: 'c-admin',
                    createdAt: NOW,
                  }
                : null,
            ),
          };
        },
        listStrategies: (req, env) => {
          record('listStrategies', req, env);
          return {
            items: [
              {
                id: 's-1',
                name: 'Halves',
                assets: [
                  { assetId: 'AAPL', percentage: '50.00' },
                  { assetId: 'MSFT', percentage: '50.00' },
                ],
                createdById: 'c-admin',
                createdAt: NOW,
              },
            ],
            nextCursor: null,
          };
        },
      }),
    (t: Transport) =>
      stubService(t, strategyOrdersContract, {
        getInvestment: (req, env) => {
          record('getInvestment', req, env);
          if (!req.investmentId.startsWith('inv-alice-') || env.identity?.customerId !== ALICE)
            throw new NotFoundError('No such investment');
          return {
            id: req.investmentId,
            strategyId: req.investmentId === 'inv-alice-gone' ? 's-gone' : 's-1',
            destinationAccountId: ALICE_ACCOUNTS[0]!,
            amount: '100.00',
            paymentId: 'pay-1',
            status: 'completed' as const,
            orders: [],
            skipped: [],
            invested: '0.00',
            fees: '0.00',
            leftover: '100.00',
            createdAt: NOW,
            updatedAt: NOW,
          };
        },
      }),
  ];

  const gql = (
    query: string,
    options: { token?: string | undefined; variables?: Record<string, unknown> } = {},
  ): Promise<Answer> =>
    gw.request('POST', '/graphql', {
      body: { query, ...(options.variables ? { variables: options.variables } : {}) },
      ...(options.token === undefined ? {} : { token: options.token }),
    });

  before(async () => {
    gw = await startGateway(stubs);
    alice = await token(ALICE);
    bob = await token(BOB);
  });
  after(async () => {
    await gw.stop();
  });
  beforeEach(() => {
    seen.length = 0;
  });

  it('answers money and quantities as strings (Decimal), never floats, with the caller identity passed to the services', async () => {
    const r = await gql(
      `{ account(id: "acc-a1") { id name cash { available reserved } currentHoldings { asset { id name type price } quantity averageCost value } orders(first: 1) { id status side quantity fillPrice fee asset { id name } } } }`,
      { token: alice },
    );
    assert.equal(r.status, 200, r.text);
    assert.ok(r.headers.get('x-request-id'));
    assert.equal(r.body.errors, undefined, r.text);
    const a = r.body.data.account;
    assert.deepEqual(a.cash, { available: '1234.50', reserved: '0.10' });
    assert.deepEqual(a.currentHoldings, [
      {
        asset: { id: 'SPY', name: 'SPDR S&P 500', type: 'etf', price: '512.00' },
        quantity: '1.500000',
        averageCost: '500.00',
        value: '768.00',
      },
    ]);
    assert.deepEqual(a.orders, [
      {
        id: 'acc-a1-o0',
        status: 'filled',
        side: 'buy',
        quantity: '2.000000',
        fillPrice: '228.97',
        fee: '1.00',
        asset: { id: 'AAPL', name: 'Apple Inc.' },
      },
    ]);
    // The raw JSON holds no number where a decimal is: every one is quoted.
    assert.doesNotMatch(r.text, /:\s*-?\d/);
    for (const s of seen) assert.deepEqual(s.envelope.identity, { customerId: ALICE, role: 'customer' }, s.method);
  });

  it("answers another customer's account as null with a NOT_FOUND error, and reads nothing below it", async () => {
    const r = await gql(`{ account(id: "acc-a1") { id cash { available } orders { id } } }`, { token: bob });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.data.account, null);
    assert.equal(r.body.errors.length, 1);
    assert.equal(r.body.errors[0].extensions.code, 'NOT_FOUND');
    assert.deepEqual(r.body.errors[0].path, ['account']);
    assert.deepEqual(calls('getBalancesOf'), []);
    assert.deepEqual(calls('listOrdersOf'), []);
    // The same for an investment that is not the caller's.
    const i = await gql(`{ investment(id: "inv-x") { id amount } }`, { token: bob });
    assert.equal(i.body.data.investment, null);
    assert.equal(i.body.errors[0].extensions.code, 'NOT_FOUND');
  });

  it('refuses a request without a valid token with 401 problem details, before reading the query', async () => {
    for (const t of [undefined, 'not-a-jwt', await token(ALICE, 'customer', { secret: 'x'.repeat(40) })]) {
      const r = await gql('{ me { name } }', { token: t });
      assert.equal(r.status, 401, r.text);
      assert.match(r.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.equal(r.body.code, 'unauthorized');
      assert.ok(r.headers.get('x-request-id'));
    }
    const garbage = await gw.request('POST', '/graphql', { raw: '{"query": 42}' });
    assert.equal(garbage.status, 401, garbage.text);
    assert.deepEqual(
      seen.filter((s) => s.method !== 'sessionActive'),
      [],
    );
  });

  it('refuses a query deeper than the limit, and one costlier than the limit, with a GraphQL error, calling nothing', async () => {
    const deep = await gql(`{ accounts { orders { account { orders { account { orders { id } } } } } } }`, {
      token: alice,
    });
    assert.equal(deep.status, 400, deep.text);
    assert.ok(deep.headers.get('x-request-id'));
    assert.equal(deep.body.data, undefined);
    assert.equal(deep.body.errors[0].extensions.code, 'QUERY_TOO_DEEP');
    assert.match(deep.body.errors[0].message, /7 levels deep; at most 6/);
    // Deep through a fragment too.
    const viaFragment = await gql(
      `query { accounts { ...A } } fragment A on Account { orders { account { orders { account { orders { id } } } } } }`,
      { token: alice },
    );
    assert.equal(viaFragment.body.errors[0].extensions.code, 'QUERY_TOO_DEEP');

    const costly = await gql(`{ accounts(first: 100) { orders(first: 100) { asset { name } } } }`, { token: alice });
    assert.equal(costly.status, 400, costly.text);
    assert.equal(costly.body.errors[0].extensions.code, 'QUERY_TOO_COSTLY');
    // Aliases multiply the cost as well.
    const aliases = Array.from({ length: 60 }, (_, i) => `a${i}: accounts(first: 100) { id cash { available } }`).join(
      ' ',
    );
    assert.equal((await gql(`{ ${aliases} }`, { token: alice })).body.errors[0].extensions.code, 'QUERY_TOO_COSTLY');
    assert.deepEqual(
      seen.filter((s) => s.method !== 'sessionActive'),
      [],
    );
  });

  it('refuses what is not a valid query with 400 and GraphQL errors: syntax, unknown fields, floats as Decimal, first out of range', async () => {
    const syntax = await gql('{ accounts { id ', { token: alice });
    assert.equal(syntax.status, 400);
    assert.equal(syntax.body.errors[0].extensions.code, 'GRAPHQL_PARSE_FAILED');
    const unknown = await gql('{ accounts { balance } }', { token: alice });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.errors[0].extensions.code, 'GRAPHQL_VALIDATION_FAILED');
    const range = await gql('{ accounts(first: 0) { id } }', { token: alice });
    assert.equal(range.status, 200);
    assert.equal(range.body.errors[0].extensions.code, 'BAD_USER_INPUT');
  });

  it('batches: a nested query over five accounts makes one call per service per level, each key once', async () => {
    const r = await gql(
      `{ accounts { id cash { available } currentHoldings { asset { name } quantity } orders(first: 2) { id asset { id name } account { id } } } }`,
      { token: alice },
    );
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.errors, undefined, r.text);
    assert.equal(r.body.data.accounts.length, 5);
    for (const a of r.body.data.accounts) {
      assert.equal(a.orders.length, 2);
      for (const o of a.orders) assert.equal(o.account.id, a.id);
    }
    assert.deepEqual(
      r.body.data.accounts[0].orders.map((o: any) => o.asset.name),
      ['Apple Inc.', 'Microsoft'],
    );
    // Level 1: one listAccounts. Level 2: one call per service for the five accounts, each account once.
    assert.equal(calls('listAccounts').length, 1);
    for (const method of ['getBalancesOf', 'getHoldingsOf', 'listOrdersOf']) {
      assert.equal(calls(method).length, 1, method);
      assert.deepEqual([...calls(method)[0]!.request.accountIds].sort(), ALICE_ACCOUNTS, method);
    }
    assert.equal(calls('listOrdersOf')[0]!.request.limit, 2);
    // Level 3: the assets of 10 orders and 5 holdings, in one batch, each asset once; the accounts of the orders were listed already.
    assert.equal(calls('getAssets').length, 1);
    assert.deepEqual([...calls('getAssets')[0]!.request.assetIds].sort(), ['AAPL', 'MSFT', 'SPY']);
    assert.equal(calls('getAsset').length, 0);
    assert.equal(
      calls('getAccount').length + calls('getAccounts').length,
      0,
      'the accounts of the orders were listed already',
    );
  });

  it("batches the investments' strategies: one getStrategies for the level, each strategy once; one that is gone is null with NOT_FOUND", async () => {
    const r = await gql(
      `{ a: investment(id: "inv-alice-1") { strategy { name } } b: investment(id: "inv-alice-2") { strategy { name } } c: investment(id: "inv-alice-gone") { strategy { name } } }`,
      { token: alice },
    );
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.data, {
      a: { strategy: { name: 'Halves' } },
      b: { strategy: { name: 'Halves' } },
      c: { strategy: null },
    });
    assert.equal(r.body.errors[0].extensions.code, 'NOT_FOUND');
    assert.deepEqual(r.body.errors[0].path, ['c', 'strategy']);
    assert.equal(calls('getStrategies').length, 1);
    assert.deepEqual([...calls('getStrategies')[0]!.request.strategyIds].sort(), ['s-1', 's-gone']);
  });

  it('serves the root fields: me, assets, strategies (their assets batched)', async () => {
    const r = await gql(
      `{ me { name } assets(q: "a", first: 2) { id price } strategies { name assets { percentage asset { name } } } }`,
      { token: alice },
    );
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.errors, undefined, r.text);
    assert.equal(r.body.data.me.name, 'Alice');
    assert.deepEqual(r.body.data.assets, [
      { id: 'AAPL', price: '228.97' },
      { id: 'MSFT', price: '410.10' },
    ]);
    assert.deepEqual(r.body.data.strategies[0].assets, [
      { percentage: '50.00', asset: { name: 'Apple Inc.' } },
      { percentage: '50.00', asset: { name: 'Microsoft' } },
    ]);
    // The allocations' assets: one batch at most (none when the assets listed by `assets` were remembered first).
    assert.ok(calls('getAssets').length <= 1);
    assert.deepEqual(
      calls('getCustomer').map((c) => c.request.customerId),
      [ALICE],
    );
  });

  it('serves the schema as SDL, and GraphiQL outside production', async () => {
    const sdl = await gw.request('GET', '/graphql/schema.graphql');
    assert.equal(sdl.status, 200);
    assert.match(sdl.headers.get('content-type') ?? '', /^text\/plain/);
    assert.ok(sdl.headers.get('x-request-id'));
    assert.match(sdl.text, /scalar Decimal/);
    assert.match(sdl.text, /account\(id: ID!\): Account/);
    assert.match(sdl.text, /orders\(first: Int = 20, status: OrderStatus\): \[Order!\]!/);
    const page = await gw.request('GET', '/graphql');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(page.text, /graphiql/i);
  });
});
