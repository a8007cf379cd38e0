/**
 * The authorization matrix: every route of the gateway's route table (read from Fastify itself, see
 * routes.ts) × every kind of caller, against the expectations below (api.md, Conventions:
 * "Authorization"). The expectations are keyed by "METHOD path"; a route in the route table without
 * an entry fails the suite, so a route cannot be added without saying who may call it (and an entry
 * for a route that no longer exists fails it too).
 *
 * Callers: no token; a tampered token (the owner's JWT with its payload changed to role admin and
 * another subject, the signature kept); the owner of the resources the request names ("customer");
 * another customer; the admin. Resources named in paths and bodies are the owner's.
 *
 * Rules (api.md): without a valid token 401; another customer's resource 404 (its existence is not
 * revealed); /v1/admin/* 403 for a customer; public routes (auth, the OpenAPI document, the docs)
 * answer everyone alike. Authentication and authorization come before validation. The admin reads
 * any customer's resources (accounts' contract: "admins and services see all") but does not act as
 * a customer (opening an account, placing an order: 403).
 *
 * Runs against SIMPLEBANK_E2E_URL too, with the OpenAPI paths standing in for the route table.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Bank, eventually, expectProblem, show, WAIT_MS, type Customer, type Res } from '../e2e/system.ts';
import { startRoutedSystem, type RoutedSystem, type RouteEntry } from './routes.ts';

type Caller = 'none' | 'tampered' | 'customer' | 'other' | 'admin';
const CALLERS: Caller[] = ['none', 'tampered', 'customer', 'other', 'admin'];

/** The fixtures a request is built from: the owner's resources, and a few others. */
interface Fixtures {
  owner: Customer;
  other: Customer;
  admin: Customer;
  accountId: string;
  paymentId: string;
  orderId: string;
  notificationId: string;
  assetId: string;
  strategyId: string;
  investmentId: string;
}

interface Request {
  params?: Record<string, string>;
  query?: string;
  body?: unknown;
}

/** A status, or the statuses any of which is right (e.g. cancel: 202, or 409 once the order filled). */
type Expected = number | number[];

interface RouteExpectation {
  /** What to send (the owner's resources in the path and body); may make something new per call. */
  request?: (f: Fixtures, caller: Caller) => Request | Promise<Request>;
  expect: Record<Caller, Expected>;
  /**
   * Cells whose expectation the system does not meet yet (a reported bug): checked as `todo`
   * tests, named with the issue, so they show without failing the suite. Remove when fixed.
   */
  todo?: Partial<Record<Caller, string>>;
}

// Shorthands for the usual rows.
const PUBLIC = (status: Expected): Record<Caller, Expected> => ({
  none: status,
  tampered: status,
  customer: status,
  other: status,
  admin: status,
});
/** Any valid token; nothing in it belongs to anyone else. */
const ANY_CUSTOMER = (status: Expected): Record<Caller, Expected> => ({
  none: 401,
  tampered: 401,
  customer: status,
  other: status,
  admin: status,
});
/**
 * The owner's resource: another customer gets 404. The admin reads every customer's (accounts'
 * contract: "admins and services see all") but does not act as a customer: placing an order or
 * opening an account answers the admin 403.
 */
const OWNED_READ = (status: Expected): Record<Caller, Expected> => ({
  none: 401,
  tampered: 401,
  customer: status,
  other: 404,
  admin: status,
});
const OWNED_ACTION = (status: Expected): Record<Caller, Expected> => ({
  none: 401,
  tampered: 401,
  customer: status,
  other: 404,
  admin: 403,
});
/** Only the owner's own (the admin's notifications are not the owner's): 404 for everyone else. */
const OWNED_PRIVATE = (status: Expected): Record<Caller, Expected> => ({
  none: 401,
  tampered: 401,
  customer: status,
  other: 404,
  admin: 404,
});
/** Customers only, acting for themselves. */
const CUSTOMER_ACTION = (status: Expected): Record<Caller, Expected> => ({
  none: 401,
  tampered: 401,
  customer: status,
  other: status,
  admin: 403,
});
const ADMIN_ONLY = (status: Expected): Record<Caller, Expected> => ({
  none: 401,
  tampered: 401,
  customer: 403,
  other: 403,
  admin: status,
});

/**
 * Every route of the gateway, keyed "METHOD path" (OpenAPI form of the path). Add the entry with the
 * route: the suite fails on a route without one.
 */
const EXPECTATIONS: Record<string, RouteExpectation> = {
  // --- auth (anonymous: a token, valid or not, changes nothing) ---------------------------------
  'POST /v1/auth/signup': {
    request: () => ({
      body: { email: `authz-${randomUUID()}@example.test`, password: 'authz-password-1', name: 'Authz' },
    }),
    expect: PUBLIC(201),
  },
  'POST /v1/auth/login': {
    request: (f) => ({ body: { email: f.owner.email, password: f.owner.password } }),
    expect: PUBLIC(200),
  },
  'POST /v1/auth/refresh': {
    request: async (f) => ({ body: { refreshToken: await freshRefreshToken(f.owner) } }),
    expect: PUBLIC(200),
  },
  'POST /v1/auth/logout': {
    request: async (f) => ({ body: { refreshToken: await freshRefreshToken(f.owner) } }),
    expect: PUBLIC(204),
  },

  // --- profile ----------------------------------------------------------------------------------
  'GET /v1/me': { expect: ANY_CUSTOMER(200) },
  'PATCH /v1/me': { request: () => ({ body: { preferences: { push: true } } }), expect: ANY_CUSTOMER(200) },
  'GET /v1/stream': { expect: ANY_CUSTOMER(200) },

  // --- accounts, payments, ledger, holdings -----------------------------------------------------
  'POST /v1/accounts': { request: () => ({ body: { name: 'authz' } }), expect: CUSTOMER_ACTION(201) },
  'GET /v1/accounts': { expect: ANY_CUSTOMER(200) },
  'GET /v1/accounts/{accountId}': { request: (f) => ({ params: { accountId: f.accountId } }), expect: OWNED_READ(200) },
  'POST /v1/accounts/{accountId}/deposits': {
    request: (f) => ({ params: { accountId: f.accountId }, body: { amount: '1.00', method: 'bank_transfer' } }),
    expect: OWNED_ACTION(202),
  },
  'POST /v1/accounts/{accountId}/withdrawals': {
    request: (f) => ({ params: { accountId: f.accountId }, body: { amount: '1.00' } }),
    expect: OWNED_ACTION(202),
  },
  'GET /v1/payments/{paymentId}': { request: (f) => ({ params: { paymentId: f.paymentId } }), expect: OWNED_READ(200) },
  'GET /v1/accounts/{accountId}/transactions': {
    request: (f) => ({ params: { accountId: f.accountId } }),
    expect: OWNED_READ(200),
  },
  'GET /v1/accounts/{accountId}/holdings': {
    request: (f) => ({ params: { accountId: f.accountId } }),
    expect: OWNED_READ(200),
  },

  // --- market data and fees (any customer) ------------------------------------------------------
  'GET /v1/assets': { expect: ANY_CUSTOMER(200) },
  'GET /v1/assets/{assetId}': { request: (f) => ({ params: { assetId: f.assetId } }), expect: ANY_CUSTOMER(200) },
  'GET /v1/assets/{assetId}/prices': {
    request: (f) => ({ params: { assetId: f.assetId } }),
    expect: ANY_CUSTOMER(200),
  },
  'GET /v1/prices': { expect: ANY_CUSTOMER(200) },
  'GET /v1/fees/schedule': { expect: ANY_CUSTOMER(200) },

  // --- orders -----------------------------------------------------------------------------------
  'POST /v1/orders': {
    request: (f) => ({ body: { accountId: f.accountId, assetId: f.assetId, side: 'buy', quantity: '0.01' } }),
    expect: OWNED_ACTION(202),
  },
  // Filtering by another customer's account: 404 (or an empty page; authorization.test.ts takes both).
  'GET /v1/orders': { expect: ANY_CUSTOMER(200) },
  'GET /v1/orders/{orderId}': { request: (f) => ({ params: { orderId: f.orderId } }), expect: OWNED_READ(200) },
  // The order may have filled already: 409 order_not_cancelable is the owner's answer then.
  'POST /v1/orders/{orderId}/cancel': {
    request: (f) => ({ params: { orderId: f.orderId } }),
    expect: OWNED_ACTION([202, 409]),
  },

  // --- strategies (any customer reads; an admin creates) ----------------------------------------
  'GET /v1/strategies': { expect: ANY_CUSTOMER(200) },
  'GET /v1/strategies/{strategyId}': {
    request: (f) => ({ params: { strategyId: f.strategyId } }),
    expect: ANY_CUSTOMER(200),
  },

  // --- investments (a customer invests into their own account and reads their own) --------------
  'POST /v1/strategies/{strategyId}/investments': {
    request: (f) => ({
      params: { strategyId: f.strategyId },
      body: { destinationAccountId: f.accountId, amount: '1.00', method: 'bank_transfer' },
    }),
    expect: OWNED_ACTION(202),
  },
  'GET /v1/investments': { expect: ANY_CUSTOMER(200) },
  'GET /v1/investments/{investmentId}': {
    request: (f) => ({ params: { investmentId: f.investmentId } }),
    expect: OWNED_READ(200),
  },

  // --- reports (reporting's read models: the caller's own; the fee report and a rebuild admins only)
  'GET /v1/reports/orders': { expect: ANY_CUSTOMER(200) },
  'GET /v1/accounts/{accountId}/statement': {
    request: (f) => ({ params: { accountId: f.accountId } }),
    expect: OWNED_READ(200),
  },
  'GET /v1/admin/reports/fees': { expect: ADMIN_ONLY(200) },
  'POST /v1/admin/reports/rebuild': { expect: ADMIN_ONLY(200) },

  // --- notifications ----------------------------------------------------------------------------
  'GET /v1/notifications': { expect: ANY_CUSTOMER(200) },
  'POST /v1/notifications/{id}/read': {
    request: (f) => ({ params: { id: f.notificationId } }),
    expect: OWNED_PRIVATE(204),
  },
  // Deliveries carry addresses (personal data): admins only, even for the customer's own.
  'GET /v1/admin/deliveries': { request: (f) => ({ query: `customerId=${f.owner.id}` }), expect: ADMIN_ONLY(200) },

  // --- administration ---------------------------------------------------------------------------
  'PUT /v1/admin/fees/schedule': {
    request: () => ({ body: { minimum: '1.00', rate: '0.001' } }),
    expect: ADMIN_ONLY(200),
  },
  'GET /v1/admin/ledger/trial-balance': { expect: ADMIN_ONLY(200) },
  'GET /v1/admin/dead-letters': { expect: ADMIN_ONLY(200) },
  'GET /v1/admin/readiness': { expect: ADMIN_ONLY(200) },
  'GET /v1/admin/signals': { expect: ADMIN_ONLY(200) },
  // No such dead letter: the admin is let through to a 404; everyone else stops before.
  'POST /v1/admin/dead-letters/{id}/replay': {
    request: () => ({ params: { id: randomUUID() } }),
    expect: ADMIN_ONLY(404),
  },
  'DELETE /v1/admin/dead-letters/{id}': { request: () => ({ params: { id: randomUUID() } }), expect: ADMIN_ONLY(404) },
  'GET /v1/admin/dead-letters/{id}': { request: () => ({ params: { id: randomUUID() } }), expect: ADMIN_ONLY(404) },
  'POST /v1/admin/events/replay': {
    request: () => ({
      body: {
        service: 'orders',
        types: ['orders.OrderStatusChanged.v1'],
        since: new Date(Date.now() + 60_000).toISOString(),
      },
    }),
    expect: ADMIN_ONLY(200),
  },
  'GET /v1/admin/sagas/{service}/{sagaId}': {
    request: () => ({ params: { service: 'orders', sagaId: randomUUID() } }),
    expect: ADMIN_ONLY(404),
  },
  'GET /v1/admin/sagas/{service}': { request: () => ({ params: { service: 'orders' } }), expect: ADMIN_ONLY(200) },
  'PUT /v1/admin/breakers/{service}/{target}': {
    request: () => ({ params: { service: 'orders', target: 'nobody' }, body: { state: 'auto' } }),
    expect: ADMIN_ONLY(404),
  },
  'PUT /v1/admin/simulation/prices/{assetId}': {
    request: (f) => ({ params: { assetId: f.assetId }, body: { pinned: false } }),
    expect: ADMIN_ONLY(200),
  },
  'PUT /v1/admin/simulation/exchange': { request: () => ({ body: { open: true } }), expect: ADMIN_ONLY(200) },
  'GET /v1/admin/simulation/exchange': { expect: ADMIN_ONLY(200) },
  'POST /v1/admin/strategies': {
    request: (f) => ({ body: { name: 'authz', assets: [{ assetId: f.assetId, percentage: '100' }] } }),
    expect: ADMIN_ONLY(201),
  },

  // --- GraphQL (the same token and rights as /v1; hidden from the OpenAPI document, its SDL is its contract) ---
  // A query that ran answers 200: the owner's account for the owner and the admin, null with a
  // NOT_FOUND error for another customer (test/e2e/graphql.test.ts checks the body).
  'POST /graphql': {
    request: (f) => ({ body: { query: `{ account(id: "${f.accountId}") { id cash { available } } }` } }),
    expect: ANY_CUSTOMER(200),
  },
  'GET /graphql/schema.graphql': { expect: PUBLIC(200) },
  // GraphiQL: development only (not served with NODE_ENV=production).
  'GET /graphql': { expect: PUBLIC(200) },

  // --- documentation (public) -------------------------------------------------------------------
  'GET /v1/openapi.json': { expect: PUBLIC(200) },
  'GET /docs': { expect: PUBLIC(200) },
  'GET /docs/json': { expect: PUBLIC(200) },
  'GET /docs/yaml': { expect: PUBLIC(200) },
  'GET /docs/static/index.html': { expect: PUBLIC(200) },
  'GET /docs/static/swagger-initializer.js': { expect: PUBLIC(200) },
  'GET /docs/static/*': { request: () => ({ params: { '*': 'swagger-ui.css' } }), expect: PUBLIC(200) },
};

// ---------------------------------------------------------------------------------------------

let system: RoutedSystem;
let bank: Bank;
let fixtures: Fixtures;
let routes: RouteEntry[];

/** A refresh token of its own for each call (they rotate, and logout revokes). */
async function freshRefreshToken(c: Customer): Promise<string> {
  const res = await system.http.post('/v1/auth/login', { email: c.email, password: c.password });
  assert.equal(res.status, 200, `login for a refresh token: ${show(res)}`);
  return res.body.refreshToken;
}

function b64url(x: string): string {
  return Buffer.from(x).toString('base64url');
}

/** The owner's JWT with its payload changed (another subject, role admin), the signature kept. */
function tampered(token: string, subject: string): string {
  const [head, payload, signature] = token.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  return `${head}.${b64url(JSON.stringify({ ...claims, sub: subject, role: 'admin' }))}.${signature}`;
}

function tokenOf(caller: Caller): string | null {
  switch (caller) {
    case 'none':
      return null;
    case 'tampered':
      return tampered(fixtures.owner.accessToken, fixtures.other.id);
    case 'customer':
      return fixtures.owner.accessToken;
    case 'other':
      return fixtures.other.accessToken;
    case 'admin':
      return fixtures.admin.accessToken;
  }
}

function urlOf(route: RouteEntry, params: Record<string, string> = {}): string {
  return route.url.replace(/:([A-Za-z0-9_]+)|\*/g, (m, name: string | undefined) => {
    const v = params[name ?? '*'];
    assert.ok(v !== undefined, `no value for ${m} in ${route.method} ${route.path}: give it in the entry's request`);
    return name ? encodeURIComponent(v) : v;
  });
}

function check(res: Res, expected: Expected, what: string): void {
  const statuses = Array.isArray(expected) ? expected : [expected];
  assert.ok(statuses.includes(res.status), `${what}: expected ${statuses.join(' or ')}, got ${show(res)}`);
  assert.ok(res.headers.get('x-request-id'), `${what}: X-Request-Id on every answer`);
  if (res.status >= 400) expectProblem(res, res.status, undefined, what);
}

describe('authorization matrix (every route × every caller)', () => {
  before(async () => {
    system = await startRoutedSystem();
    bank = new Bank(system.http);
    const admin = await bank.adminLogin();
    const { customer: owner, account } = await bank.fundedCustomer('1000.00');
    const { customer: other } = await bank.fundedCustomer('100.00');
    const assets = await owner.http.get('/v1/assets?limit=1');
    assert.equal(assets.status, 200, show(assets));
    const assetId: string = assets.body.items[0].id;
    const deposit = await bank.requestDeposit(owner, account.id, '5.00');
    assert.equal(deposit.status, 202, show(deposit));
    const order = await bank.placeOrder(owner, { accountId: account.id, assetId, side: 'buy', quantity: '0.01' });
    const notifications = await eventually(
      async () => {
        const items = await bank.notifications(owner);
        return items.length > 0 ? items : undefined;
      },
      { timeoutMs: WAIT_MS, message: 'the owner never got a notification' },
    );
    const strategy = await admin.http.post('/v1/admin/strategies', {
      name: 'authz fixture',
      assets: [{ assetId, percentage: '100' }],
    });
    assert.equal(strategy.status, 201, show(strategy));
    const investment = await owner.http.post(`/v1/strategies/${strategy.body.id}/investments`, {
      destinationAccountId: account.id,
      amount: '2.00',
      method: 'bank_transfer',
    });
    assert.equal(investment.status, 202, show(investment));
    fixtures = {
      owner,
      other,
      admin,
      accountId: account.id,
      paymentId: deposit.body.id,
      orderId: order.id,
      notificationId: notifications[0]!.id,
      assetId,
      strategyId: strategy.body.id,
      investmentId: investment.body.id,
    };

    if (system.routes) routes = system.routes;
    else {
      // A system given by URL: its route table is not at hand; the OpenAPI document's paths stand in.
      const doc = (await system.http.get('/v1/openapi.json')).body;
      routes = Object.entries<Record<string, unknown>>(doc.paths).flatMap(([path, item]) =>
        Object.keys(item)
          .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
          .map((m) => ({ method: m.toUpperCase(), path, url: path.replace(/\{([^}]+)\}/g, ':$1'), hidden: false })),
      );
    }
  });

  after(async () => {
    await system?.stop();
  });

  it('has expectations for every route of the route table, and none for a route that does not exist', () => {
    assert.ok(routes.length >= 30, `routes found: ${routes.length}`);
    const keys = new Set(routes.map((r) => `${r.method} ${r.path}`));
    const missing = [...keys].filter((k) => !(k in EXPECTATIONS));
    assert.deepEqual(
      missing,
      [],
      `routes without authorization expectations (add them to EXPECTATIONS in ${import.meta.url.split('/').slice(-2).join('/')}): ${missing.join(', ')}`,
    );
    if (system.routes) {
      const stale = Object.keys(EXPECTATIONS).filter((k) => !keys.has(k));
      assert.deepEqual(stale, [], `expectations for routes the gateway no longer has: ${stale.join(', ')}`);
    }
  });

  it('documents every route it serves in the OpenAPI document (hidden ones aside)', {
    skip: !process.env.SIMPLEBANK_E2E_URL ? false : 'needs the route table',
  }, async () => {
    const doc = (await system.http.get('/v1/openapi.json')).body;
    const documented = new Set(
      Object.entries<Record<string, unknown>>(doc.paths).flatMap(([path, item]) =>
        Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`),
      ),
    );
    const served = routes.filter((r) => !r.hidden).map((r) => `${r.method} ${r.path}`);
    assert.deepEqual(
      served.filter((k) => !documented.has(k)),
      [],
      'served but not in /v1/openapi.json',
    );
    assert.deepEqual(
      [...documented].filter((k) => !served.includes(k)),
      [],
      'in /v1/openapi.json but not served',
    );
  });

  it('answers each caller as expected on every route', async (t) => {
    for (const route of routes) {
      const key = `${route.method} ${route.path}`;
      const entry = EXPECTATIONS[key];
      if (!entry) continue; // reported by the test above
      const ask = async (caller: Caller) => {
        const request = (await entry.request?.(fixtures, caller)) ?? {};
        const url = urlOf(route, request.params) + (request.query ? `?${request.query}` : '');
        const res = await system.http.request(route.method, url, {
          token: tokenOf(caller),
          ...(request.body !== undefined ? { body: request.body } : {}),
        });
        check(res, entry.expect[caller], `${caller} ${route.method} ${url}`);
      };
      await t.test(key, async () => {
        for (const caller of CALLERS) if (!entry.todo?.[caller]) await ask(caller);
      });
      for (const caller of CALLERS) {
        const todo = entry.todo?.[caller];
        if (todo) await t.test(`${key} as ${caller}`, { todo }, () => ask(caller));
      }
    }
  });

  it('authenticates and authorizes before validating: an invalid body or path answers 401/403/404 as a valid one would, not 400', async (t) => {
    for (const route of routes) {
      const key = `${route.method} ${route.path}`;
      const entry = EXPECTATIONS[key];
      if (!entry || route.method === 'GET') continue;
      const request = (await entry.request?.(fixtures, 'none')) ?? {};
      // Not a JSON object at all: invalid for every route that takes a body (and ignored by the rest).
      const invalid = { ...request, body: ['not', 'an', 'object'] };
      await t.test(key, async () => {
        for (const caller of ['none', 'tampered', 'customer', 'other'] as Caller[]) {
          const expected = entry.expect[caller];
          const statuses = Array.isArray(expected) ? expected : [expected];
          // Only where the caller is refused: 401 and 403 must come before any 400.
          if (!statuses.every((s) => s === 401 || s === 403)) continue;
          const url = urlOf(route, invalid.params);
          const res = await system.http.request(route.method, url, { token: tokenOf(caller), body: invalid.body });
          check(res, expected, `${caller} ${route.method} ${url} with an invalid body`);
        }
      });
    }
  });
});
