import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { sleep, type Consumer } from '@simplebank/chassis';
import { eventually, startTestSystem, stubService, type TestSystem } from '@simplebank/chassis/testing';
import { marketDataContract } from '@simplebank/market-data/contract';
import { exchangeApiKey } from '../src/api-key.ts';
import { fillDueOrders } from '../src/fill-worker.ts';
import { exchangeService } from '../src/service.ts';

/** market-data stubbed: the current prices, changed by the tests. */
const prices = new Map<string, string>([
  ['AAPL', '100.00'],
  ['VOD', '9.00'],
]);

describe('the simulated exchange', () => {
  let system: TestSystem;
  let stub: Consumer;
  let base: string;

  /** A request to the exchange's API, with its key (as market sends it) unless `authorization` says otherwise. */
  async function http(
    method: string,
    path: string,
    body?: unknown,
    authorization: string | null = `Bearer ${exchangeApiKey(undefined)}`,
  ): Promise<{ status: number; body: any; type: string | null }> {
    const headers: Record<string, string> = {
      ...(authorization !== null ? { authorization } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    };
    const res = await fetch(`${base}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: await res.json(), type: res.headers.get('content-type') };
  }
  const order = (
    o: Partial<{ clientOrderId: string; assetId: string; side: string; quantity: string; limitPrice: string }> = {},
  ) => ({
    clientOrderId: randomUUID(),
    assetId: 'AAPL',
    side: 'buy',
    quantity: '10',
    limitPrice: '105.00',
    ...o,
  });
  const place = (o = order()) => http('POST', '/exchange/orders', o);
  const get = (id: string) => http('GET', `/exchange/orders/${id}`);

  before(async () => {
    system = await startTestSystem([exchangeService]);
    stub = await stubService(system.transport, marketDataContract, {
      getPrices: (req) => ({
        items: (req.assetIds ?? [...prices.keys()])
          .filter((id) => prices.has(id))
          .map((assetId) => ({ assetId, price: prices.get(assetId)!, at: new Date().toISOString() })),
      }),
    });
    base = system.runtime.address;
  });
  after(async () => {
    await stub.cancel();
    await system.stop({ drop: true });
  });
  beforeEach(async () => {
    prices.set('AAPL', '100.00');
    const reset = await http('PUT', '/exchange/settings', {
      open: true,
      latencyMs: 0,
      failureRate: 0,
      fillDelayMs: 50,
    });
    assert.equal(reset.status, 200);
  });

  it('answers nothing and changes nothing without its API key (none, another bearer token, the key with a suffix)', async () => {
    const mine = await place();
    assert.equal(mine.status, 201);
    const key = exchangeApiKey(undefined);
    for (const authorization of [null, 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.x', `Bearer ${key}x`, key, `Basic ${key}`]) {
      const attempts: Array<[string, string, unknown?]> = [
        ['GET', '/exchange/settings'],
        ['PUT', '/exchange/settings', { open: false, failureRate: 1 }],
        ['POST', '/exchange/orders', order({ clientOrderId: randomUUID() })],
        ['GET', `/exchange/orders/${mine.body.id}`],
        ['POST', `/exchange/orders/${mine.body.id}/cancel`, {}],
        ['POST', `/exchange/orders/by-client-id/${mine.body.clientOrderId}/cancel`, {}],
      ];
      for (const [method, path, body] of attempts) {
        const r = await http(method, path, body, authorization);
        assert.equal(r.status, 401, `${method} ${path} with ${authorization}`);
        assert.match(r.type ?? '', /application\/problem\+json/);
        assert.equal(r.body.code, 'unauthorized');
      }
    }
    assert.deepEqual((await http('GET', '/exchange/settings')).body, {
      open: true,
      latencyMs: 0,
      failureRate: 0,
      fillDelayMs: 50,
    });
    const { rows } = await system.databases
      .get('exchange')!
      .db.query<{ n: string }>('SELECT count(*) AS n FROM exchange_orders WHERE id <> $1 AND created_at >= $2', [
        mine.body.id,
        mine.body.createdAt,
      ]);
    assert.equal(Number(rows[0]!.n), 0);
    const after = await get(mine.body.id);
    assert.notEqual(after.body.status, 'canceled');
  });

  it('accepts an order open, then fills it in full at the current price within the limit', async () => {
    const placed = await place(order({ quantity: '2.5', limitPrice: '105.00' }));
    assert.equal(placed.status, 201);
    assert.equal(placed.body.status, 'open');
    assert.equal(placed.body.fillPrice, null);
    prices.set('AAPL', '101.37');
    const filled = await eventually(async () => {
      const o = await get(placed.body.id);
      return o.body.status === 'filled' ? o.body : undefined;
    });
    assert.equal(filled.fillPrice, '101.37');
    assert.equal(filled.quantity, '2.5');
    assert.ok(!Number.isNaN(Date.parse(filled.filledAt)));
  });

  it('leaves an order outside its limit open (buy above, sell below the limit)', async () => {
    const buy = await place(order({ limitPrice: '99.99' }));
    const sell = await place(order({ side: 'sell', limitPrice: '100.01' }));
    // A later order within the limit fills: the fill worker has seen the first two by then.
    const later = await place(order({ side: 'sell', limitPrice: '100.00' }));
    await eventually(async () => (await get(later.body.id)).body.status === 'filled');
    assert.equal((await get(buy.body.id)).body.status, 'open');
    assert.equal((await get(sell.body.id)).body.status, 'open');
    // At a price within its limit, the buy fills.
    prices.set('AAPL', '99.99');
    await eventually(async () => (await get(buy.body.id)).body.status === 'filled');
    assert.equal((await get(buy.body.id)).body.fillPrice, '99.99');
    assert.equal((await get(sell.body.id)).body.status, 'open');
  });

  it('closed, accepts orders and fills none until open again', async () => {
    assert.equal((await http('PUT', '/exchange/settings', { open: false })).body.open, false);
    const placed = await place();
    assert.equal(placed.status, 201);
    assert.equal(placed.body.status, 'open');
    await sleep(400); // several fill rounds past the 50 ms delay
    assert.equal((await get(placed.body.id)).body.status, 'open');
    await http('PUT', '/exchange/settings', { open: true });
    await eventually(async () => (await get(placed.body.id)).body.status === 'filled');
  });

  it('is idempotent on clientOrderId: the same id answers the existing order', async () => {
    await http('PUT', '/exchange/settings', { open: false });
    const o = order();
    const first = await place(o);
    const again = await place(o);
    assert.equal(first.status, 201);
    assert.equal(again.status, 200);
    assert.equal(again.body.id, first.body.id);
    assert.deepEqual(again.body, first.body);
  });

  it('cancels an open order; a filled one answers 409 with the order', async () => {
    await http('PUT', '/exchange/settings', { open: false });
    const open = await place();
    const canceled = await http('POST', `/exchange/orders/${open.body.id}/cancel`);
    assert.equal(canceled.status, 200);
    assert.equal(canceled.body.status, 'canceled');
    assert.equal((await http('POST', `/exchange/orders/${open.body.id}/cancel`)).body.status, 'canceled');
    await http('PUT', '/exchange/settings', { open: true });
    const toFill = await place();
    await eventually(async () => (await get(toFill.body.id)).body.status === 'filled');
    // The canceled one never fills.
    assert.equal((await get(open.body.id)).body.status, 'canceled');
    const late = await http('POST', `/exchange/orders/${toFill.body.id}/cancel`);
    assert.equal(late.status, 409);
    assert.equal(late.body.status, 'filled');
    assert.equal(late.body.fillPrice, '100.00');
    assert.equal((await http('POST', '/exchange/orders/nope/cancel')).status, 404);
    assert.equal((await get('nope')).status, 404);
  });

  it('cancels by client order id: 200 with the open order canceled, 409 with a filled one, 404 if none arrived (and a late arrival is canceled)', async () => {
    const byClient = (clientOrderId: string) =>
      http('POST', `/exchange/orders/by-client-id/${encodeURIComponent(clientOrderId)}/cancel`);
    await http('PUT', '/exchange/settings', { open: false });
    const open = await place();
    const canceled = await byClient(open.body.clientOrderId);
    assert.equal(canceled.status, 200);
    assert.equal(canceled.body.id, open.body.id);
    assert.equal(canceled.body.status, 'canceled');
    assert.equal((await byClient(open.body.clientOrderId)).status, 200, 'again: the same answer');
    await http('PUT', '/exchange/settings', { open: true });
    const toFill = await place();
    await eventually(async () => (await get(toFill.body.id)).body.status === 'filled');
    assert.equal((await get(open.body.id)).body.status, 'canceled', 'the canceled one never fills');
    const late = await byClient(toFill.body.clientOrderId);
    assert.equal(late.status, 409);
    assert.equal(late.body.status, 'filled');
    assert.equal(late.body.id, toFill.body.id);

    const never = order();
    const missing = await byClient(never.clientOrderId);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.code, 'not_found');
    // The placement arrives after all (it was slow): it is recorded canceled, never filled.
    const arrived = await place(never);
    assert.equal(arrived.status, 201);
    assert.equal(arrived.body.status, 'canceled');
    assert.equal((await byClient(never.clientOrderId)).status, 200);
  });

  it('with no fill delay, fills an order within its limit at placement: the answer is already filled', async () => {
    await http('PUT', '/exchange/settings', { fillDelayMs: 0 });
    prices.set('AAPL', '100.37');
    const placed = await place(order({ quantity: '4', limitPrice: '105.00' }));
    // The answer itself is filled: no fill worker round came in between.
    assert.equal(placed.status, 201);
    assert.equal(placed.body.status, 'filled');
    assert.equal(placed.body.fillPrice, '100.37');
    assert.ok(!Number.isNaN(Date.parse(placed.body.filledAt)));
    // Outside the limit it stays open, and fills (by the worker) once the price comes within.
    const outside = await place(order({ limitPrice: '99.00' }));
    assert.equal(outside.body.status, 'open');
    prices.set('AAPL', '98.50');
    await eventually(async () => (await get(outside.body.id)).body.status === 'filled');
    assert.equal((await get(outside.body.id)).body.fillPrice, '98.50');
    // Closed, nothing fills at placement either.
    await http('PUT', '/exchange/settings', { open: false });
    assert.equal((await place()).body.status, 'open');
  });

  it('calls the client back after a fill and after a cancel, with its token; refuses a callbackUrl that is not http(s)', async () => {
    const received: Array<{ authorization: string | undefined; body: any }> = [];
    const server = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        received.push({ authorization: req.headers.authorization, body: JSON.parse(text) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const callbackUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callbacks`;
    const callbackToken = 'a-token-of-sixteen-or-more';
    try {
      const toFill = await place({ ...order(), callbackUrl, callbackToken } as never);
      assert.equal(toFill.body.status, 'open');
      assert.equal(
        'callbackUrl' in toFill.body || 'callbackToken' in toFill.body,
        false,
        'the answer does not show the callback',
      );
      const filled = await eventually(async () => received.find((r) => r.body.exchangeOrderId === toFill.body.id));
      assert.deepEqual(filled, {
        authorization: `Bearer ${callbackToken}`,
        body: { clientOrderId: toFill.body.clientOrderId, exchangeOrderId: toFill.body.id, status: 'filled' },
      });
      assert.equal((await get(toFill.body.id)).body.status, 'filled');

      await http('PUT', '/exchange/settings', { open: false });
      const toCancel = await place({ ...order(), callbackUrl, callbackToken } as never);
      await http('POST', `/exchange/orders/${toCancel.body.id}/cancel`);
      const canceled = await eventually(async () => received.find((r) => r.body.exchangeOrderId === toCancel.body.id));
      assert.equal(canceled.body.status, 'canceled');

      for (const bad of ['file:///etc/passwd', 'not a url'])
        assert.equal((await place({ ...order(), callbackUrl: bad } as never)).status, 400, bad);
    } finally {
      server.close();
    }
  });

  it('the fill worker knows when the next order is due and sleeps until then; closed, it waits for the settings', async () => {
    const ctx = system.runtime.host('exchange').baseContext;
    await http('PUT', '/exchange/settings', { fillDelayMs: 600_000 });
    const waiting = await place();
    const round = await fillDueOrders(ctx);
    assert.equal(round.filled, 0);
    assert.ok(round.nextDueInMs !== undefined && round.nextDueInMs > 500_000, `due in ${round.nextDueInMs} ms`);
    await http('PUT', '/exchange/settings', { open: false });
    assert.deepEqual(await fillDueOrders(ctx), { filled: 0, stuck: 0, nextDueInMs: undefined });
    await http('POST', `/exchange/orders/${waiting.body.id}/cancel`);
  });

  it('changes its settings by any subset, and refuses bad ones', async () => {
    const initial = await http('GET', '/exchange/settings');
    assert.deepEqual(initial.body, { open: true, latencyMs: 0, failureRate: 0, fillDelayMs: 50 });
    assert.deepEqual((await http('PUT', '/exchange/settings', { failureRate: '0.25' })).body, {
      open: true,
      latencyMs: 0,
      failureRate: 0.25,
      fillDelayMs: 50,
    });
    assert.deepEqual((await http('PUT', '/exchange/settings', { latencyMs: 10, open: false })).body, {
      open: false,
      latencyMs: 10,
      failureRate: 0.25,
      fillDelayMs: 50,
    });
    for (const bad of [
      { failureRate: 2 },
      { failureRate: '1.5' },
      { latencyMs: -1 },
      { fillDelayMs: 'x' },
      { colour: 'red' },
    ]) {
      assert.equal((await http('PUT', '/exchange/settings', bad)).status, 400, JSON.stringify(bad));
    }
    assert.deepEqual((await http('GET', '/exchange/settings')).body, {
      open: false,
      latencyMs: 10,
      failureRate: 0.25,
      fillDelayMs: 50,
    });
  });

  it('with failureRate 1, every order request fails with 503 and nothing is accepted', async () => {
    await http('PUT', '/exchange/settings', { open: false });
    const existing = await place();
    await http('PUT', '/exchange/settings', { failureRate: 1 });
    const o = order();
    for (let i = 0; i < 5; i++) assert.equal((await place(o)).status, 503);
    assert.equal((await get(existing.body.id)).status, 503);
    assert.equal((await http('POST', `/exchange/orders/${existing.body.id}/cancel`)).status, 503);
    await http('PUT', '/exchange/settings', { failureRate: 0 });
    assert.equal((await place(o)).status, 201, 'the failed requests created nothing');
    assert.equal((await get(existing.body.id)).body.status, 'open', 'the failed cancel changed nothing');
  });

  it('refuses bad input with 400, and an unknown asset with 422', async () => {
    for (const bad of [
      { ...order(), quantity: 10 },
      { ...order(), quantity: '0' },
      { ...order(), limitPrice: '100.5' },
      { ...order(), limitPrice: '0.00' },
      { ...order(), side: 'short' },
      { ...order(), extra: true },
      { assetId: 'AAPL' },
    ]) {
      assert.equal((await place(bad as never)).status, 400, JSON.stringify(bad));
    }
    const unknown = await place(order({ assetId: 'NOPE' }));
    assert.equal(unknown.status, 422);
    assert.equal(unknown.body.code, 'unknown_asset');
  });
});
