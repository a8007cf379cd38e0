/**
 * market told of fills by the exchange's callbacks (the safety-net poll never comes within this
 * test), callbacks refused without the order's token, and reconciliation: an order the exchange
 * holds under our client order id that is not the one we placed is never booked as our fill.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { CallPolicy, breakers, newEnvelope } from '@simplebank/chassis';
import { exchangeApiKey } from '@simplebank/exchange/contract';
import { eventually, startTestSystem, type TestSystem } from '@simplebank/chassis/testing';
import { marketDataContract } from '@simplebank/market-data/contract';
import { callbackToken, CALLBACK_PATH } from '../src/callbacks.ts';
import { marketContract } from '../src/contract.ts';
import { ExchangeClient } from '../src/exchange-client.ts';

process.env.PRICE_TICK_MS = '0';
process.env.EXCHANGE_FILL_DELAY_MS = '50';
// The safety-net poll of a placed order comes after ten minutes: within the test, only a callback
// (or a command) makes market look at the exchange again.
process.env.EXCHANGE_POLL_MS = '600000';
const { marketDataService } = await import('@simplebank/market-data/service');
const { exchangeService } = await import('@simplebank/exchange/service');
const { marketService } = await import('../src/service.ts');

type Job = { status: string; next_attempt_at: Date; follow_polls: number; last_error: string | null };

describe('market: exchange callbacks and reconciliation', () => {
  let system: TestSystem;

  async function types(orderId: string): Promise<string[]> {
    const { rows } = await system.databases
      .get('market')!
      .db.query<{ body: string }>('SELECT body FROM chassis_outbox ORDER BY id');
    return rows
      .map((r) => JSON.parse(r.body) as { type: string; data: Record<string, string> })
      .filter((e) => e.data.orderId === orderId)
      .map((e) => e.type.replace(/^market\.(\w+)\.v1$/, '$1'));
  }
  async function job(orderId: string): Promise<Job | undefined> {
    return (
      await system.databases
        .get('market')!
        .db.query<Job>(
          'SELECT status, next_attempt_at, follow_polls, last_error FROM exchange_jobs WHERE order_id = $1',
          [orderId],
        )
    ).rows[0];
  }
  const exchangeDb = () => system.databases.get('exchange')!.db;
  async function exchange(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${system.runtime.address}/exchange${path}`, {
      method,
      headers: {
        authorization: `Bearer ${exchangeApiKey(undefined)}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: await res.json() };
  }
  function callback(body: unknown, token?: string): Promise<Response> {
    return fetch(`${system.runtime.address}${CALLBACK_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
  }
  async function place(
    o: Partial<{ assetId: string; side: 'buy' | 'sell'; quantity: string; limitPrice: string }> = {},
  ): Promise<string> {
    const orderId = randomUUID();
    const data = {
      orderId,
      assetId: 'AAPL',
      side: 'buy',
      quantity: '2',
      limitPrice: '300.00',
      placeBy: new Date(Date.now() + 30_000).toISOString(),
      ...o,
    };
    const def = marketContract.commands.PlaceOrderOnExchange;
    const envelope = newEnvelope({
      type: def.type,
      version: 1,
      source: 'orders',
      data,
      key: orderId,
      cause: { correlationId: `test-${orderId}`, identity: { customerId: 'service:orders', role: 'system' } },
    });
    await system.transport.publish({
      destination: { kind: 'command', queue: def.type },
      messageId: envelope.id,
      body: JSON.stringify(envelope),
    });
    return orderId;
  }

  before(async () => {
    system = await startTestSystem([marketDataService, exchangeService, marketService]);
    await system.call(marketDataContract, 'pinPrice', { assetId: 'AAPL', price: '250.00' });
  });
  after(async () => {
    await system.stop({ drop: true });
  });
  beforeEach(async () => {
    assert.equal(
      (await exchange('PUT', '/settings', { open: true, latencyMs: 0, failureRate: 0, fillDelayMs: 50 })).status,
      200,
    );
  });

  it('a fill after the fill delay reaches market by the callback: OrderFilledOnExchange without any follow-up poll', async () => {
    const orderId = await place();
    await eventually(async () => (await types(orderId)).includes('OrderFilledOnExchange'));
    assert.deepEqual(await types(orderId), ['OrderPlacedOnExchange', 'OrderFilledOnExchange']);
    const j = (await job(orderId))!;
    assert.equal(j.status, 'filled');
    assert.equal(j.follow_polls, 0, 'no safety-net poll was needed');
  });

  it('with no fill delay, the placement is answered filled: placed and filled at once', async () => {
    await exchange('PUT', '/settings', { fillDelayMs: 0 });
    const orderId = await place();
    await eventually(async () => (await types(orderId)).includes('OrderFilledOnExchange'));
    assert.deepEqual(await types(orderId), ['OrderPlacedOnExchange', 'OrderFilledOnExchange']);
    const { rows } = await exchangeDb().query<{ status: string; fill_price_cents: string }>(
      'SELECT status, fill_price_cents::text FROM exchange_orders WHERE client_order_id = $1',
      [orderId],
    );
    assert.deepEqual(rows[0], { status: 'filled', fill_price_cents: '25000' });
  });

  it("a callback only wakes the job; one without the order's token is refused and wakes nothing", async () => {
    await exchange('PUT', '/settings', { open: false });
    const orderId = await place();
    await eventually(async () => (await types(orderId)).includes('OrderPlacedOnExchange'));
    const placed = (await job(orderId))!;
    assert.ok(placed.next_attempt_at.getTime() > Date.now() + 60_000, 'the follow-up poll is far off');
    const { rows } = await exchangeDb().query<{ id: string }>(
      'SELECT id FROM exchange_orders WHERE client_order_id = $1',
      [orderId],
    );
    const body = { clientOrderId: orderId, exchangeOrderId: rows[0]!.id, status: 'filled' };

    assert.equal((await callback(body)).status, 401);
    assert.equal((await callback(body, callbackToken(randomUUID()))).status, 401, "another order's token");
    assert.equal((await callback({ ...body, status: 'bought' }, callbackToken(orderId))).status, 400);
    assert.equal((await job(orderId))!.next_attempt_at.getTime(), placed.next_attempt_at.getTime(), 'nothing woken');

    // A genuine token, though the order is still open there: market looks, finds it open, and waits again.
    assert.equal((await callback(body, callbackToken(orderId))).status, 204);
    await eventually(async () => (await job(orderId))!.follow_polls === 1);
    assert.deepEqual(await types(orderId), ['OrderPlacedOnExchange'], 'the callback is not taken as the fill');
    // Opened: the exchange fills it and calls back; market reports the fill.
    await exchange('PUT', '/settings', { open: true });
    await eventually(async () => (await types(orderId)).includes('OrderFilledOnExchange'));
  });

  it('refuses a placement when the exchange holds another order under our client order id (reconciliation)', async () => {
    await exchange('PUT', '/settings', { open: false });
    const orderId = randomUUID();
    // Someone reached the exchange first with our order id and a higher limit.
    assert.equal(
      (
        await exchange('POST', '/orders', {
          clientOrderId: orderId,
          assetId: 'AAPL',
          side: 'buy',
          quantity: '2',
          limitPrice: '999.00',
        })
      ).status,
      201,
    );
    const def = marketContract.commands.PlaceOrderOnExchange;
    const data = {
      orderId,
      assetId: 'AAPL',
      side: 'buy',
      quantity: '2',
      limitPrice: '300.00',
      placeBy: new Date(Date.now() + 30_000).toISOString(),
    };
    const envelope = newEnvelope({ type: def.type, version: 1, source: 'orders', data, key: orderId });
    await system.transport.publish({
      destination: { kind: 'command', queue: def.type },
      messageId: envelope.id,
      body: JSON.stringify(envelope),
    });
    await eventually(async () => (await types(orderId)).length > 0);
    assert.deepEqual(await types(orderId), ['OrderPlacementFailed']);
    const j = (await job(orderId))!;
    assert.equal(j.status, 'mismatch');
    assert.match(j.last_error!, /limit 999\.00/);
  });

  it('refuses a fill the exchange reports for an order that is no longer the one placed, and marks the job for an operator', async () => {
    await exchange('PUT', '/settings', { open: false });
    const orderId = await place({ quantity: '2' });
    await eventually(async () => (await types(orderId)).includes('OrderPlacedOnExchange'));
    // The exchange's book now says: filled, for ten shares.
    await exchangeDb().query(
      "UPDATE exchange_orders SET quantity_micros = 10000000, status = 'filled', fill_price_cents = 25000, filled_at = now() WHERE client_order_id = $1",
      [orderId],
    );
    const { rows } = await exchangeDb().query<{ id: string }>(
      'SELECT id FROM exchange_orders WHERE client_order_id = $1',
      [orderId],
    );
    assert.equal(
      (
        await callback(
          { clientOrderId: orderId, exchangeOrderId: rows[0]!.id, status: 'filled' },
          callbackToken(orderId),
        )
      ).status,
      204,
    );
    await eventually(async () => (await job(orderId))!.status === 'mismatch');
    assert.match((await job(orderId))!.last_error!, /quantity 10/);
    assert.deepEqual(await types(orderId), ['OrderPlacedOnExchange'], 'no fill booked');
    // Recorded for an operator: a metric to alert on, besides the log line and the job's status.
    const metrics = await (await fetch(`${system.runtime.address}/metrics`)).text();
    assert.match(metrics, /simplebank_market_exchange_mismatches_total\{[^}]*stage="follow"[^}]*\} [1-9]/);
  });

  it("a placement under our order's id without the exchange's key is refused (this server is the public one in all-in-one): market's own order is placed and filled as placed", async () => {
    const orderId = randomUUID();
    const forged = { clientOrderId: orderId, assetId: 'AAPL', side: 'buy', quantity: '2', limitPrice: '999.00' };
    for (const headers of [{}, { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.customer' }] as Array<
      Record<string, string>
    >) {
      const res = await fetch(`${system.runtime.address}/exchange/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(forged),
      });
      assert.equal(res.status, 401);
      const settings = await fetch(`${system.runtime.address}/exchange/settings`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ open: false }),
      });
      assert.equal(settings.status, 401);
    }
    assert.equal(
      (await exchangeDb().query('SELECT 1 FROM exchange_orders WHERE client_order_id = $1', [orderId])).rowCount,
      0,
    );
    const def = marketContract.commands.PlaceOrderOnExchange;
    const data = {
      orderId,
      assetId: 'AAPL',
      side: 'buy',
      quantity: '2',
      limitPrice: '300.00',
      placeBy: new Date(Date.now() + 30_000).toISOString(),
    };
    const envelope = newEnvelope({ type: def.type, version: 1, source: 'orders', data, key: orderId });
    await system.transport.publish({
      destination: { kind: 'command', queue: def.type },
      messageId: envelope.id,
      body: JSON.stringify(envelope),
    });
    await eventually(async () => (await types(orderId)).includes('OrderFilledOnExchange'));
    assert.deepEqual(await types(orderId), ['OrderPlacedOnExchange', 'OrderFilledOnExchange']);
    const { rows } = await exchangeDb().query<{ limit_price_cents: string }>(
      'SELECT limit_price_cents FROM exchange_orders WHERE client_order_id = $1',
      [orderId],
    );
    assert.equal(rows[0]!.limit_price_cents, '30000');
  });

  it('takes a refused API key as an outage of our own (retried, counted by the breaker), never as a rejection of the order', async () => {
    const policy = new CallPolicy({
      breaker: breakers.get('market-test', 'exchange-wrong-key'),
      timeoutMs: 1000,
      maxAttempts: 1,
    });
    const client = new ExchangeClient(
      () => `${system.runtime.address}/exchange`,
      policy,
      'not-the-exchange-key-0123456789abcdef',
    );
    const answer = await client.placeOrder({
      clientOrderId: randomUUID(),
      assetId: 'AAPL',
      side: 'buy',
      quantity: '1',
      limitPrice: '300.00',
    });
    assert.equal(answer.kind, 'unavailable');
    assert.match((answer as { reason: string }).reason, /HTTP 401: the exchange refused our API key/);
  });
});
