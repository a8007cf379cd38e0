/** Administration: every service's readiness and dead letters (fanned out, merged), replay and discard, a saga's state, the simulated exchange's settings. */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { NotFoundError, systemContract } from '@simplebank/chassis';
import { stubService } from '@simplebank/chassis/testing';
import { customersContract } from '@simplebank/customers/contract';
import { startGateway, token, type Gateway } from './helpers.ts';
import { ALICE } from './stubs.ts';

const letter = (id: string, lastFailedAt: string, messageType = 'transactions.LedgerPosted.v1') => ({
  id,
  service: 'x',
  consumer: 'c',
  messageId: null,
  messageType,
  reason: 'boom',
  attempts: 5,
  firstFailedAt: '2026-11-20T00:00:00.000Z',
  lastFailedAt,
});
const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

describe('gateway administration', () => {
  let gw: Gateway;
  let exchange: Server;
  let exchangeSettings = { open: true, latencyMs: 0, failureRate: 0, fillDelayMs: 200 };
  const exchangeRequests: unknown[] = [];
  const EXCHANGE_KEY = 'test-exchange-api-key-0123456789abcdef';
  const replayed: Array<{ service: string; id: string }> = [];
  const discarded: Array<{ service: string; id: string }> = [];
  const saga = {
    id: 'order-1',
    type: 'PlaceOrder',
    status: 'completed',
    data: { orderId: 'order-1' },
    currentStep: null,
    failure: null,
    createdAt: '2026-11-22T10:00:00.000Z',
    updatedAt: '2026-11-22T10:00:01.000Z',
    traceId: null,
    log: [{ step: 'reserve', phase: 'action', outcome: 'done', attempt: 1, at: '2026-11-22T10:00:00.500Z' }],
  };
  let admin: string;

  before(async () => {
    exchange = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        // The exchange's API answers only with its key (decision 0015).
        if (req.headers.authorization !== `Bearer ${EXCHANGE_KEY}`) {
          res
            .writeHead(401, { 'content-type': 'application/problem+json' })
            .end(JSON.stringify({ status: 401, code: 'unauthorized' }));
          return;
        }
        if (req.method === 'GET' && req.url === '/exchange/settings') {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(exchangeSettings));
          return;
        }
        if (req.method === 'PUT' && req.url === '/exchange/settings') {
          const patch = JSON.parse(body);
          exchangeRequests.push(patch);
          if (typeof patch.failureRate !== 'number') {
            res
              .writeHead(400, { 'content-type': 'application/json' })
              .end(JSON.stringify({ error: 'failureRate must be a number' }));
            return;
          }
          exchangeSettings = { ...exchangeSettings, ...patch };
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(exchangeSettings));
          return;
        }
        res.writeHead(404).end();
      });
    });
    await new Promise<void>((r) => exchange.listen(0, '127.0.0.1', () => r()));
    const port = (exchange.address() as { port: number }).port;
    process.env.EXCHANGE_URL = `http://127.0.0.1:${port}/exchange`;
    process.env.EXCHANGE_API_KEY = EXCHANGE_KEY;
    // Two services hold dead letters; the others do not run here (503: skipped).
    const orders = [letter(uuid(1), '2026-11-22T10:00:03.000Z'), letter(uuid(2), '2026-11-22T10:00:01.000Z')];
    const holdings = [letter(uuid(3), '2026-11-22T10:00:02.000Z'), letter(uuid(4), '2026-11-22T10:00:00.000Z')];
    const page = (all: ReturnType<typeof letter>[], req: { limit?: number; cursor?: string }) => {
      const start = req.cursor ? all.findIndex((l) => l.id === req.cursor) + 1 : 0;
      const items = all.slice(start, start + (req.limit ?? 50));
      return { items, nextCursor: start + items.length < all.length ? items[items.length - 1]!.id : null };
    };
    gw = await startGateway([
      // Access tokens' sessions are checked with customers (decision 17): every session is active here.
      (t) =>
        stubService(
          t,
          {
            ...customersContract,
            rpc: { ...systemContract('customers').rpc, sessionActive: customersContract.rpc.sessionActive },
          },
          {
            sessionActive: () => ({ active: true }),
            _deadLetters: () => ({ items: [], nextCursor: null }),
            _replayDeadLetter: () => {
              throw new NotFoundError('No such dead letter');
            },
            _discardDeadLetter: () => {
              throw new NotFoundError('No such dead letter');
            },
          },
        ),
      (t) =>
        stubService(t, systemContract('orders'), {
          _deadLetters: (req) => page(orders, req),
          _replayDeadLetter: (req) => {
            if (!orders.some((l) => l.id === req.id)) throw new NotFoundError('No such dead letter');
            replayed.push({ service: 'orders', id: req.id });
            return { id: req.id, outcome: 'handled' as const };
          },
          _discardDeadLetter: (req) => {
            if (!orders.some((l) => l.id === req.id)) throw new NotFoundError('No such dead letter');
            discarded.push({ service: 'orders', id: req.id });
            return { id: req.id };
          },
          _saga: (req) => {
            if (req.id !== saga.id) throw new NotFoundError('No such saga');
            // A field the gateway's response schema does not declare: it must not reach the admin.
            return { ...saga, lease: { owner: 'runner-7', until: '2026-11-22T10:00:31.000Z' } };
          },
          _readiness: () => ({ service: 'orders', ready: true, checks: [{ name: 'orders:database', ready: true }] }),
        }),
      (t) =>
        stubService(t, systemContract('holdings'), {
          _deadLetters: (req) => page(holdings, req),
          _replayDeadLetter: () => {
            throw new NotFoundError('No such dead letter');
          },
          _discardDeadLetter: () => {
            throw new NotFoundError('No such dead letter');
          },
          _readiness: () => ({
            service: 'holdings',
            ready: false,
            checks: [
              { name: 'holdings:database', ready: false, detail: 'database not answering' },
              { name: 'holdings:breaker:market', ready: true, detail: 'market breaker forced open' },
            ],
          }),
        }),
    ]);
    admin = await token('c-admin', 'admin');
  });
  after(async () => {
    await gw.stop();
    await new Promise((r) => exchange.close(r));
    delete process.env.EXCHANGE_URL;
    delete process.env.EXCHANGE_API_KEY;
  });

  it('lists the dead letters of every service, newest first, paged across services', async () => {
    const all = await gw.request('GET', '/v1/admin/dead-letters', { token: admin });
    assert.equal(all.status, 200);
    assert.deepEqual(
      all.body.items.map((l: { id: string; service: string }) => [l.service, l.id]),
      [
        ['orders', uuid(1)],
        ['holdings', uuid(3)],
        ['orders', uuid(2)],
        ['holdings', uuid(4)],
      ],
    );
    assert.equal(all.body.nextCursor, null);
    assert.deepEqual(Object.keys(all.body.items[0]).sort(), [
      'attempts',
      'firstFailedAt',
      'id',
      'lastFailedAt',
      'messageType',
      'reason',
      'service',
    ]);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r = await gw.request('GET', `/v1/admin/dead-letters?limit=3${cursor ? `&cursor=${cursor}` : ''}`, {
        token: admin,
      });
      assert.equal(r.status, 200);
      assert.ok(r.body.items.length <= 3);
      seen.push(...r.body.items.map((l: { id: string }) => l.id));
      cursor = r.body.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, [uuid(1), uuid(3), uuid(2), uuid(4)]);

    const bad = await gw.request('GET', '/v1/admin/dead-letters?cursor=nonsense', { token: admin });
    assert.equal(bad.status, 400);
  });

  it('discards a dead letter at the service that holds it (204), 404 for an unknown id', async () => {
    const r = await gw.request('DELETE', `/v1/admin/dead-letters/${uuid(1)}`, { token: admin });
    assert.equal(r.status, 204);
    assert.deepEqual(discarded, [{ service: 'orders', id: uuid(1) }]);
    const unknown = await gw.request('DELETE', `/v1/admin/dead-letters/${uuid(99)}`, { token: admin });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'not_found');
    const customer = await gw.request('DELETE', `/v1/admin/dead-letters/${uuid(1)}`, {
      token: await token('c-alice', 'customer'),
    });
    assert.equal(customer.status, 403);
    assert.equal(discarded.length, 1);
  });

  it("shows a service's saga: its status, data, current step and each step's outcome, nothing it does not declare; 404 for an unknown one", async () => {
    const r = await gw.request('GET', '/v1/admin/sagas/orders/order-1', { token: admin });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, saga);
    const unknown = await gw.request('GET', '/v1/admin/sagas/orders/order-2', { token: admin });
    assert.equal(unknown.status, 404);
    const noSuchService = await gw.request('GET', '/v1/admin/sagas/nowhere/order-1', { token: admin });
    assert.equal(noSuchService.status, 400);
  });

  it('replays a dead letter at the service that holds it (202), 404 for an unknown id', async () => {
    const r = await gw.request('POST', `/v1/admin/dead-letters/${uuid(2)}/replay`, { token: admin });
    assert.equal(r.status, 202);
    assert.deepEqual(r.body, { id: uuid(2), service: 'orders', outcome: 'handled' });
    assert.deepEqual(replayed, [{ service: 'orders', id: uuid(2) }]);
    const unknown = await gw.request('POST', `/v1/admin/dead-letters/${uuid(99)}/replay`, { token: admin });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'not_found');
    const notAnId = await gw.request('POST', '/v1/admin/dead-letters/xyz/replay', { token: admin });
    assert.equal(notAnId.status, 400);
  });

  it("changes the simulated exchange's settings, failureRate as a decimal string or a number", async () => {
    const r = await gw.request('PUT', '/v1/admin/simulation/exchange', {
      token: admin,
      body: { open: false, failureRate: '0.25' },
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { open: false, latencyMs: 0, failureRate: 0.25, fillDelayMs: 200 });
    assert.deepEqual(exchangeRequests.at(-1), { open: false, failureRate: 0.25 });
    const n = await gw.request('PUT', '/v1/admin/simulation/exchange', {
      token: admin,
      body: { failureRate: 0.5, latencyMs: 10 },
    });
    assert.equal(n.status, 200);
    assert.equal(n.body.failureRate, 0.5);
    for (const body of [{ failureRate: '1.5' }, { failureRate: 2 }, { latencyMs: -1 }, { colour: 'red' }]) {
      const bad = await gw.request('PUT', '/v1/admin/simulation/exchange', { token: admin, body });
      assert.equal(bad.status, 400, JSON.stringify(body));
    }
    const customer = await gw.request('PUT', '/v1/admin/simulation/exchange', {
      token: await token(ALICE),
      body: { open: true },
    });
    assert.equal(customer.status, 403);
    assert.equal(exchangeRequests.length, 2);
  });

  it("reads the simulated exchange's current settings (admin only)", async () => {
    const r = await gw.request('GET', '/v1/admin/simulation/exchange', { token: admin });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, exchangeSettings);
    assert.equal((await gw.request('GET', '/v1/admin/simulation/exchange', { token: await token(ALICE) })).status, 403);
    assert.equal((await gw.request('GET', '/v1/admin/simulation/exchange')).status, 401);
  });

  it("gives every service's readiness as the service says it; one not running is not ready, not reachable", async () => {
    const r = await gw.request('GET', '/v1/admin/readiness', { token: admin });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.ready, false);
    const of = (service: string) => r.body.services.find((s: { service: string }) => s.service === service);
    assert.equal(r.body.services.length, 15, 'a row per service');
    assert.deepEqual(of('orders'), {
      service: 'orders',
      ready: true,
      reachable: true,
      checks: [{ name: 'orders:database', ready: true }],
    });
    assert.equal(of('holdings').ready, false);
    assert.deepEqual(
      of('holdings').checks.map((c: { name: string }) => c.name),
      ['holdings:database', 'holdings:breaker:market'],
    );
    // The gateway answers for itself, with its own checks.
    assert.equal(of('gateway').reachable, true);
    assert.ok(of('gateway').checks.some((c: { name: string }) => c.name === 'gateway:database'));
    assert.deepEqual(of('accounts'), {
      service: 'accounts',
      ready: false,
      reachable: false,
      checks: [{ name: 'accounts:reachable', ready: false, detail: 'not reachable' }],
    });
    assert.equal((await gw.request('GET', '/v1/admin/readiness', { token: await token(ALICE) })).status, 403);
    assert.equal((await gw.request('GET', '/v1/admin/readiness')).status, 401);
  });
});
