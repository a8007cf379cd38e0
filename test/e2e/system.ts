/**
 * The end-to-end harness: SimpleBank seen only through its public HTTP API.
 *
 * With `SIMPLEBANK_E2E_URL` set, the suite targets that running system (e.g. the distributed mode);
 * otherwise each test file starts the all-in-one system in-process once (`useSystem()` registers the
 * `before`/`after` hooks) on the test PostgreSQL server, with short simulation settings.
 *
 * A system given by URL must run with the settings of settings.ts (E2E_SETTINGS). Against a shared
 * system, files that change the exchange's settings (failures.test.ts) must not run at the same time
 * as other trading files: run them one at a time (TEST_CONCURRENCY=1). Each file pins its own assets.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before } from 'node:test';
import { startAllInOne, type AllInOne } from '@simplebank/chassis';
import { eventually, stopPrivateServer, testServerUrl } from '@simplebank/chassis/testing';
import { services } from '../../apps/cli/src/services.ts';
import { E2E_SETTINGS } from './settings.ts';

export { eventually };

/** Generous bound for every end state the suite waits for (never a timing assertion). */
export const WAIT_MS = 20_000;

// ---------------------------------------------------------------------------------------------
// HTTP client
// ---------------------------------------------------------------------------------------------

export interface Res<B = any> {
  status: number;
  headers: Headers;
  contentType: string;
  /** Parsed JSON (JSON or problem+json), or undefined for an empty/non-JSON body. */
  body: B;
  text: string;
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as is (for malformed JSON, oversize bodies); Content-Type stays application/json unless given. */
  rawBody?: string;
  headers?: Record<string, string>;
  /** Overrides the client's token; `null` sends no Authorization header. */
  token?: string | null;
  idempotencyKey?: string;
}

export class Http {
  constructor(
    readonly base: string,
    readonly token?: string,
  ) {}

  as(token: string | undefined): Http {
    return new Http(this.base, token);
  }

  async request<B = any>(method: string, path: string, options: RequestOptions = {}): Promise<Res<B>> {
    const headers: Record<string, string> = {
      accept: 'application/json, application/problem+json',
      ...options.headers,
    };
    const token = options.token === undefined ? this.token : options.token;
    if (token) headers.authorization = `Bearer ${token}`;
    if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
    let payload: string | undefined;
    if (options.rawBody !== undefined) payload = options.rawBody;
    else if (options.body !== undefined) payload = JSON.stringify(options.body);
    if (payload !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
      headers['content-type'] = 'application/json';
    const res = await fetch(this.base + path, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
    const contentType = res.headers.get('content-type') ?? '';
    // A stream (GET /v1/stream) does not end: its status and headers are the answer.
    const streaming = contentType.startsWith('text/event-stream');
    if (streaming) await res.body?.cancel();
    const text = streaming ? '' : await res.text();
    let body: any;
    if (text && /json/.test(contentType)) {
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
    }
    return { status: res.status, headers: res.headers, contentType, body, text };
  }

  get<B = any>(path: string, o?: RequestOptions) {
    return this.request<B>('GET', path, o);
  }
  post<B = any>(path: string, body?: unknown, o: RequestOptions = {}) {
    return this.request<B>('POST', path, { ...o, ...(body !== undefined ? { body } : {}) });
  }
  put<B = any>(path: string, body?: unknown, o: RequestOptions = {}) {
    return this.request<B>('PUT', path, { ...o, ...(body !== undefined ? { body } : {}) });
  }
  patch<B = any>(path: string, body?: unknown, o: RequestOptions = {}) {
    return this.request<B>('PATCH', path, { ...o, ...(body !== undefined ? { body } : {}) });
  }
}

/** A compact description of a response, for assertion messages. */
export function show(res: Res): string {
  return `${res.status} ${res.contentType} ${res.text.slice(0, 600)}`;
}

/** Asserts the status, with the whole response in the message. */
export function expectStatus(res: Res, status: number, what = ''): void {
  assert.equal(res.status, status, `${what ? `${what}: ` : ''}expected ${status}, got ${show(res)}`);
}

/** Asserts an RFC 9457 problem with this status (and code, if given). */
export function expectProblem(res: Res, status: number, code?: string, what = ''): void {
  expectStatus(res, status, what);
  assert.match(res.contentType, /application\/problem\+json/, `${what}: problem+json expected, got ${show(res)}`);
  assert.equal(typeof res.body, 'object', `${what}: a JSON problem body expected, got ${show(res)}`);
  assert.equal(res.body.status, status, `${what}: problem.status, got ${show(res)}`);
  assert.equal(typeof res.body.title, 'string', `${what}: problem.title, got ${show(res)}`);
  if (code) assert.equal(res.body.code, code, `${what}: problem.code, got ${show(res)}`);
  else assert.equal(typeof res.body.code, 'string', `${what}: problem.code, got ${show(res)}`);
}

// ---------------------------------------------------------------------------------------------
// The system under test
// ---------------------------------------------------------------------------------------------

export interface System {
  url: string;
  http: Http;
  stop(): Promise<void>;
}

/** `settings` override E2E_SETTINGS for the in-process system (ignored for a system given by URL). */
export async function startSystem(settings: Record<string, string> = {}): Promise<System> {
  const external = process.env.SIMPLEBANK_E2E_URL;
  if (external) {
    const url = external.replace(/\/+$/, '');
    return { url, http: new Http(url), stop: async () => {} };
  }
  const system: AllInOne = await startAllInOne({
    services,
    environment: {
      ...process.env,
      DATABASE_URL: await testServerUrl(),
      SIMPLEBANK_DB_PREFIX: `e2e_${randomBytes(4).toString('hex')}`,
      PORT: '0',
      LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'silent',
      ...E2E_SETTINGS,
      ...settings,
    },
  });
  const url = system.runtime.address;
  return {
    url,
    http: new Http(url),
    async stop() {
      await system.stop();
      await stopPrivateServer();
    },
  };
}

/**
 * Starts (or connects to) the system once for the calling test file and stops it after the file.
 * The returned object's `http` / `bank` are usable inside tests.
 */
export function useSystem(settings: Record<string, string> = {}): {
  readonly http: Http;
  readonly bank: Bank;
  readonly url: string;
} {
  let system: System | undefined;
  let bank: Bank | undefined;
  before(async () => {
    system = await startSystem(settings);
    bank = new Bank(system.http);
  });
  after(async () => {
    await system?.stop();
  });
  return {
    get http() {
      assert.ok(system, 'system not started');
      return system.http;
    },
    get bank() {
      assert.ok(bank, 'system not started');
      return bank;
    },
    get url() {
      assert.ok(system, 'system not started');
      return system.url;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Exact arithmetic for expectations (independent of @simplebank/money, on purpose)
// ---------------------------------------------------------------------------------------------

/** "1234.50" → 123450n (exactly two decimals, optionally negative). */
export function cents(s: string): bigint {
  assert.match(s, /^-?\d+\.\d{2}$/, `money with two decimals expected, got "${s}"`);
  const neg = s.startsWith('-');
  const [u, c] = (neg ? s.slice(1) : s).split('.') as [string, string];
  const v = BigInt(u) * 100n + BigInt(c);
  return neg ? -v : v;
}

/** 123450n → "1234.50". */
export function money(c: bigint): string {
  const neg = c < 0n;
  const a = neg ? -c : c;
  return `${neg ? '-' : ''}${a / 100n}.${String(a % 100n).padStart(2, '0')}`;
}

/** "0.125" → 125000n micro-units (up to six decimals). */
export function micros(s: string): bigint {
  assert.match(s, /^-?\d+(\.\d{1,6})?$/, `quantity expected, got "${s}"`);
  const neg = s.startsWith('-');
  const [u, f = ''] = (neg ? s.slice(1) : s).split('.') as [string, string?];
  const v = BigInt(u) * 1_000_000n + BigInt(f.padEnd(6, '0'));
  return neg ? -v : v;
}

function divHalfUp(n: bigint, d: bigint): bigint {
  return (n + d / 2n) / d; // non-negative operands only
}

/** quantity × price, rounded half-up to the cent. */
export function notional(quantity: string, price: string): bigint {
  return divHalfUp(micros(quantity) * cents(price), 1_000_000n);
}

/** The order's limit: quote × 1.05 (buy) / × 0.95 (sell), half-up to the cent. */
export function limitPrice(side: 'buy' | 'sell', quote: string): string {
  return money(divHalfUp(cents(quote) * (side === 'buy' ? 105n : 95n), 100n));
}

/** max(1.00, 0.1% × quantity × quote), half-up to the cent (the default schedule). */
export function feeFor(quantity: string, quote: string): bigint {
  const fee = divHalfUp(micros(quantity) * cents(quote), 1_000_000_000n);
  return fee > 100n ? fee : 100n;
}

// ---------------------------------------------------------------------------------------------
// The bank, through its API
// ---------------------------------------------------------------------------------------------

export interface Customer {
  id: string;
  email: string;
  password: string;
  name: string;
  accessToken: string;
  refreshToken: string;
  http: Http;
}

export interface Account {
  id: string;
  name: string;
  currency: string;
  status: string;
  cash: { available: string; reserved: string };
  createdAt: string;
}

export interface Payment {
  id: string;
  accountId: string;
  kind: 'deposit' | 'withdrawal';
  method: string;
  amount: string;
  status: 'pending' | 'settling' | 'completed' | 'failed';
  reason?: string;
}

export type OrderStatus = 'pending' | 'placed' | 'filled' | 'rejected' | 'failed' | 'canceled' | 'expired';
export const TERMINAL: OrderStatus[] = ['filled', 'rejected', 'failed', 'canceled', 'expired'];

export interface Order {
  id: string;
  accountId: string;
  assetId: string;
  side: 'buy' | 'sell';
  quantity: string;
  type: 'market';
  status: OrderStatus;
  quotePrice: string;
  limitPrice: string;
  fee: string;
  fillPrice: string | null;
  reason: string | null;
  history: { status: OrderStatus; at: string; reason?: string }[];
}

export interface LedgerEntry {
  id: string;
  at: string;
  kind: string;
  asset: string;
  amount?: string;
  quantity?: string;
  book: 'available' | 'reserved';
  orderId?: string;
  paymentId?: string;
}

export function uniqueEmail(tag = 'e2e'): string {
  return `${tag}-${randomUUID()}@example.test`;
}

export const ADMIN_EMAIL = process.env.SIMPLEBANK_ADMIN_EMAIL ?? 'admin@simplebank.local';
export const ADMIN_PASSWORD = process.env.SIMPLEBANK_ADMIN_PASSWORD ?? 'simplebank-admin';

export class Bank {
  private admin: Promise<Customer> | undefined;

  constructor(readonly http: Http) {}

  /** A fresh customer (unique e-mail) with tokens. */
  async signUp(name = 'E2E Customer'): Promise<Customer> {
    const email = uniqueEmail();
    const password = `pw-${randomBytes(8).toString('hex')}`;
    const res = await this.http.post('/v1/auth/signup', { email, password, name });
    expectStatus(res, 201, 'signup');
    const b = res.body;
    assert.ok(b?.customer?.id && b.accessToken && b.refreshToken, `signup body: ${show(res)}`);
    return {
      id: b.customer.id,
      email,
      password,
      name,
      accessToken: b.accessToken,
      refreshToken: b.refreshToken,
      http: this.http.as(b.accessToken),
    };
  }

  /** The development admin (cached per file). */
  adminLogin(): Promise<Customer> {
    this.admin ??= (async () => {
      const res = await this.http.post('/v1/auth/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
      expectStatus(res, 200, 'admin login');
      return {
        id: 'admin',
        email: ADMIN_EMAIL,
        password: ADMIN_PASSWORD,
        name: 'admin',
        accessToken: res.body.accessToken,
        refreshToken: res.body.refreshToken,
        http: this.http.as(res.body.accessToken),
      };
    })();
    this.admin.catch(() => (this.admin = undefined));
    return this.admin;
  }

  async openAccount(c: Customer, name = 'E2E account'): Promise<Account> {
    const res = await c.http.post('/v1/accounts', { name });
    expectStatus(res, 201, 'open account');
    return res.body;
  }

  async getAccount(c: Customer, accountId: string): Promise<Account> {
    const res = await c.http.get(`/v1/accounts/${accountId}`);
    expectStatus(res, 200, 'get account');
    return res.body;
  }

  async cash(c: Customer, accountId: string): Promise<{ available: string; reserved: string }> {
    return (await this.getAccount(c, accountId)).cash;
  }

  async getPayment(c: Customer, paymentId: string): Promise<Payment> {
    const res = await c.http.get(`/v1/payments/${paymentId}`);
    expectStatus(res, 200, 'get payment');
    return res.body;
  }

  /** Waits until the payment is completed or failed (past pending and settling), and returns it. */
  async waitForPayment(c: Customer, paymentId: string): Promise<Payment> {
    return eventually(
      async () => {
        const p = await this.getPayment(c, paymentId);
        return p.status === 'completed' || p.status === 'failed' ? p : undefined;
      },
      { timeoutMs: WAIT_MS, intervalMs: 100, message: `payment ${paymentId} never completed or failed` },
    );
  }

  /** Requests a deposit (answer 202) without waiting. */
  requestDeposit(
    c: Customer,
    accountId: string,
    amount: string,
    options: { method?: 'card' | 'bank_transfer'; card?: string; idempotencyKey?: string } = {},
  ) {
    const method = options.method ?? 'card';
    const body: Record<string, unknown> = { amount, method };
    if (method === 'card') body.card = { number: options.card ?? '4242424242424242' };
    return c.http.post<Payment>(
      `/v1/accounts/${accountId}/deposits`,
      body,
      options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {},
    );
  }

  /** Deposits and waits until the payment is completed and the cash is available. */
  async deposit(
    c: Customer,
    accountId: string,
    amount: string,
    options: { method?: 'card' | 'bank_transfer' } = {},
  ): Promise<Payment> {
    const before = cents((await this.cash(c, accountId)).available);
    const res = await this.requestDeposit(c, accountId, amount, options);
    expectStatus(res, 202, 'deposit');
    const payment = await this.waitForPayment(c, res.body.id);
    assert.equal(payment.status, 'completed', `deposit ${JSON.stringify(payment)}`);
    // A completed payment is posted in the ledger (decision 14): the cash is there; the wait is belt and braces.
    let last = '';
    await eventually(
      async () => {
        last = (await this.cash(c, accountId)).available;
        return cents(last) === before + cents(amount);
      },
      { timeoutMs: WAIT_MS, intervalMs: 100 },
    ).catch(() => {
      throw new Error(
        `deposited cash never became available: expected ${money(before + cents(amount))}, last seen ${last}`,
      );
    });
    return payment;
  }

  /** A fresh customer with one account holding `amount` (if any) of available cash. */
  async fundedCustomer(amount?: string): Promise<{ customer: Customer; account: Account }> {
    const customer = await this.signUp();
    let account = await this.openAccount(customer);
    if (amount) {
      await this.deposit(customer, account.id, amount);
      account = await this.getAccount(customer, account.id);
    }
    return { customer, account };
  }

  placeOrderRaw(c: Customer, body: Record<string, unknown>, idempotencyKey?: string) {
    return c.http.post<Order>('/v1/orders', body, idempotencyKey ? { idempotencyKey } : {});
  }

  /** POST /v1/orders, expecting 202 and a pending order. */
  async placeOrder(
    c: Customer,
    order: { accountId: string; assetId: string; side: 'buy' | 'sell'; quantity: string },
    idempotencyKey?: string,
  ): Promise<Order> {
    const res = await this.placeOrderRaw(c, order, idempotencyKey);
    expectStatus(res, 202, 'place order');
    assert.ok(res.body?.id, `order id: ${show(res)}`);
    return res.body;
  }

  async getOrder(c: Customer, orderId: string): Promise<Order> {
    const res = await c.http.get<Order>(`/v1/orders/${orderId}`);
    expectStatus(res, 200, 'get order');
    return res.body;
  }

  /** Polls the order until its status is one of `statuses`; fails early if it ends in another terminal one. */
  async waitForOrder(c: Customer, orderId: string, statuses: OrderStatus[]): Promise<Order> {
    let last: Order | undefined;
    try {
      return await eventually(
        async () => {
          last = await this.getOrder(c, orderId);
          if (statuses.includes(last.status)) return last;
          if (TERMINAL.includes(last.status)) throw new Error(`order ended ${last.status} (${last.reason})`);
          return undefined;
        },
        { timeoutMs: WAIT_MS, intervalMs: 100, message: `order ${orderId} never reached ${statuses.join('/')}` },
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}; last seen: ${JSON.stringify(last)}`);
    }
  }

  /** Places an order and waits for a terminal status. */
  async trade(
    c: Customer,
    order: { accountId: string; assetId: string; side: 'buy' | 'sell'; quantity: string },
    expect: OrderStatus[] = ['filled'],
  ): Promise<Order> {
    const placed = await this.placeOrder(c, order);
    return this.waitForOrder(c, placed.id, expect);
  }

  /** Pins an asset's price (admin) and checks that the API now quotes it. */
  async pinPrice(assetId: string, price: string): Promise<void> {
    const admin = await this.adminLogin();
    const res = await admin.http.put(`/v1/admin/simulation/prices/${assetId}`, { price });
    expectStatus(res, 200, `pin ${assetId}`);
    assert.equal(res.body?.price, price, `pinned price: ${show(res)}`);
    await eventually(
      async () => {
        const a = await admin.http.get(`/v1/assets/${assetId}`);
        return a.status === 200 && a.body.price === price;
      },
      { timeoutMs: WAIT_MS, message: `${assetId} never quoted at ${price}` },
    );
  }

  async setExchange(settings: {
    open?: boolean;
    latencyMs?: number;
    failureRate?: number | string;
    fillDelayMs?: number;
  }): Promise<any> {
    const admin = await this.adminLogin();
    const res = await admin.http.put('/v1/admin/simulation/exchange', settings);
    expectStatus(res, 200, 'exchange settings');
    return res.body;
  }

  /** Back to the test defaults: open, no latency, no failures, fill delay 50 ms. */
  resetExchange() {
    return this.setExchange({ open: true, latencyMs: 0, failureRate: 0, fillDelayMs: 50 });
  }

  async holdings(c: Customer, accountId: string): Promise<any> {
    const res = await c.http.get(`/v1/accounts/${accountId}/holdings`);
    expectStatus(res, 200, 'holdings');
    return res.body;
  }

  /** The quantity of an asset the account holds ("0" when none), from the holdings read model. */
  async position(
    c: Customer,
    accountId: string,
    assetId: string,
  ): Promise<{ quantity: bigint; reserved: bigint; raw?: any }> {
    const h = await this.holdings(c, accountId);
    const p = (h.positions as any[]).find((x) => x.assetId === assetId);
    return p
      ? { quantity: micros(p.quantity), reserved: micros(p.reservedQuantity), raw: p }
      : { quantity: 0n, reserved: 0n };
  }

  /** Waits until the holdings read model shows `quantity` (micro-units) of the asset. */
  async waitForPosition(c: Customer, accountId: string, assetId: string, quantity: bigint, reserved = 0n) {
    let last: unknown;
    try {
      return await eventually(
        async () => {
          const p = await this.position(c, accountId, assetId);
          last = p.raw ?? p;
          return p.quantity === quantity && p.reserved === reserved ? p : undefined;
        },
        {
          timeoutMs: WAIT_MS,
          intervalMs: 100,
          message: `position of ${assetId} never became ${quantity} µ (reserved ${reserved})`,
        },
      );
    } catch (err) {
      throw new Error(
        `${(err as Error).message}; last seen: ${JSON.stringify(last, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`,
      );
    }
  }

  /** Waits until the account's cash is exactly this (available, and reserved when given). */
  async waitForCash(c: Customer, accountId: string, available: string, reserved = '0.00') {
    let last: unknown;
    try {
      return await eventually(
        async () => {
          const cash = await this.cash(c, accountId);
          last = cash;
          return cash.available === available && cash.reserved === reserved ? cash : undefined;
        },
        {
          timeoutMs: WAIT_MS,
          intervalMs: 100,
          message: `cash never became ${available} available / ${reserved} reserved`,
        },
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}; last seen: ${JSON.stringify(last)}`);
    }
  }

  /** The account's ledger entries caused by one order (GET /v1/accounts/{id}/transactions, every page). */
  async orderLedger(c: Customer, accountId: string, orderId: string): Promise<LedgerEntry[]> {
    const items: LedgerEntry[] = [];
    let cursor: string | null = null;
    do {
      const res: Res = await c.http.get(
        `/v1/accounts/${accountId}/transactions?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expectStatus(res, 200, 'transactions');
      items.push(...res.body.items);
      cursor = res.body.nextCursor ?? null;
    } while (cursor);
    return items.filter((e) => e.orderId === orderId);
  }

  /**
   * An order that ended without a fill left no trace on the account: its entries (reservation and
   * release, fee and refund) sum to zero per asset and book. Returns the kinds seen.
   */
  async assertNoNetEffect(c: Customer, accountId: string, orderId: string): Promise<Set<string>> {
    const entries = await this.orderLedger(c, accountId, orderId);
    const sums = new Map<string, bigint>();
    for (const e of entries) {
      const k = `${e.asset}/${e.book}`;
      const v = e.amount !== undefined ? cents(e.amount) : micros(e.quantity!);
      sums.set(k, (sums.get(k) ?? 0n) + v);
    }
    for (const [k, v] of sums)
      assert.equal(v, 0n, `net effect of order ${orderId} on ${k} is ${v}: ${JSON.stringify(entries)}`);
    assert.ok(!entries.some((e) => e.kind === 'trade'), `no trade for an unfilled order: ${JSON.stringify(entries)}`);
    return new Set(entries.map((e) => e.kind));
  }

  /** GET /v1/admin/ledger/trial-balance: balanced, every total zero. */
  async assertTrialBalance(): Promise<void> {
    const admin = await this.adminLogin();
    const res = await admin.http.get('/v1/admin/ledger/trial-balance');
    expectStatus(res, 200, 'trial balance');
    assert.equal(res.body.balanced, true, `trial balance: ${show(res)}`);
    assert.ok(Array.isArray(res.body.assets), `trial balance assets: ${show(res)}`);
    assert.ok(
      res.body.assets.some((a: { asset: string }) => a.asset === 'USD'),
      `the trial balance covers USD: ${show(res)}`,
    );
    for (const a of res.body.assets as { asset: string; total: string }[]) {
      assert.ok(/^-?0(\.0+)?$/.test(a.total), `total of ${a.asset} is ${a.total}: ${show(res)}`);
    }
  }

  async notifications(
    c: Customer,
  ): Promise<{ id: string; kind: string; title: string; body: string; at: string; read: boolean }[]> {
    const items: any[] = [];
    let cursor: string | null = null;
    do {
      const res: Res = await c.http.get(
        `/v1/notifications?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expectStatus(res, 200, 'notifications');
      items.push(...res.body.items);
      cursor = res.body.nextCursor ?? null;
    } while (cursor);
    return items;
  }
}

/** Counts items by a key. */
export function countBy<T>(items: T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) out[key(i)] = (out[key(i)] ?? 0) + 1;
  return out;
}
