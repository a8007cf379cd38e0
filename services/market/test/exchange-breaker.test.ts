/** market's exchange breaker and call policy, with the real exchange failing or slow (one runtime). */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { newEnvelope, systemContract } from '@simplebank/chassis';
import { eventually, startTestSystem, type TestSystem } from '@simplebank/chassis/testing';
import { marketDataContract } from '@simplebank/market-data/contract';
import { marketContract } from '../src/contract.ts';

process.env.PRICE_TICK_MS = '0';
process.env.EXCHANGE_FILL_DELAY_MS = '50';
process.env.EXCHANGE_POLL_MS = '50';
process.env.EXCHANGE_TIMEOUT_MS = '300';
process.env.EXCHANGE_MAX_ATTEMPTS = '2';
process.env.EXCHANGE_BREAKER_MIN_CALLS = '3';
process.env.EXCHANGE_BREAKER_WINDOW_MS = '5000';
process.env.EXCHANGE_BREAKER_HALF_OPEN_MS = '200';
process.env.EXCHANGE_BREAKER_MAX_HALF_OPEN_MS = '800';
const { marketDataService } = await import('@simplebank/market-data/service');
const { exchangeService } = await import('@simplebank/exchange/service');
const { marketService } = await import('../src/service.ts');

describe('market: the exchange breaker and call policy', () => {
  let system: TestSystem;

  async function types(orderId: string): Promise<Array<{ type: string; reason?: string }>> {
    const { rows } = await system.databases.get('market')!.db.query<{ body: string }>('SELECT body FROM chassis_outbox ORDER BY id');
    return rows
      .map((r) => JSON.parse(r.body) as { type: string; data: Record<string, string> })
      .filter((e) => e.data.orderId === orderId)
      .map((e) => ({ type: e.type.replace(/^market\.(\w+)\.v1$/, '$1'), ...(e.data.reason ? { reason: e.data.reason } : {}) }));
  }
  async function place(placeByMs: number): Promise<string> {
    const orderId = randomUUID();
    const data = { orderId, assetId: 'AAPL', side: 'buy', quantity: '1', limitPrice: '300.00', placeBy: new Date(Date.now() + placeByMs).toISOString() };
    const def = marketContract.commands.PlaceOrderOnExchange;
    const envelope = newEnvelope({ type: def.type, version: 1, source: 'orders', data, key: orderId, cause: { correlationId: `test-${orderId}`, identity: { customerId: 'service:orders', role: 'system' } } });
    await system.transport.publish({ destination: { kind: 'command', queue: def.type }, messageId: envelope.id, body: JSON.stringify(envelope) });
    return orderId;
  }
  const settings = (body: unknown) => fetch(`${system.runtime.address}/exchange/settings`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  async function gauge(): Promise<number | undefined> {
    const body = (await system.runtime.metrics.render()).body;
    const m = /simplebank_circuit_breaker_state\{service="market",target="exchange"\} ([\d.]+)/.exec(body);
    return m ? Number(m[1]) : undefined;
  }
  async function ready(): Promise<{ status: number; body: { checks: Array<{ name: string; ready: boolean; detail?: string }> } }> {
    const res = await fetch(`${system.runtime.address}/health/ready`);
    return { status: res.status, body: (await res.json()) as any };
  }
  const unfinished = async () => (await system.databases.get('market')!.db.query(`SELECT order_id FROM exchange_jobs WHERE status IN ('pending', 'placed')`)).rows.length;

  before(async () => {
    system = await startTestSystem([marketDataService, exchangeService, marketService]);
    await system.call(marketDataContract, 'pinPrice', { assetId: 'AAPL', price: '250.00' });
    assert.equal((await settings({ open: true, latencyMs: 0, failureRate: 0, fillDelayMs: 50 })).status, 200);
  });
  after(async () => {
    await system.stop({ drop: true });
  });

  it('with the exchange failing the breaker opens (metric 1, readiness names it), orders fail exchange_unavailable; after recovery it closes and orders fill', async () => {
    const warmup = await place(30_000);
    await eventually(async () => (await types(warmup)).some((e) => e.type === 'OrderFilledOnExchange'));
    assert.equal(await gauge(), 0);

    assert.equal((await settings({ failureRate: 1 })).status, 200);
    const failing = await Promise.all([place(2000), place(2000), place(2000)]);
    await eventually(async () => {
      const [g, r] = await Promise.all([gauge(), ready()]);
      const check = r.body.checks.find((c) => c.name === 'market:breaker:exchange');
      return g === 1 && r.status === 503 && check?.ready === false && check.detail === 'exchange breaker open';
    }, { message: 'the exchange breaker opens: metric 1 and /health/ready says so' });
    for (const orderId of failing) {
      await eventually(async () => (await types(orderId)).length > 0);
      assert.deepEqual(await types(orderId), [{ type: 'OrderPlacementFailed', reason: 'exchange_unavailable' }]);
    }

    assert.equal((await settings({ failureRate: 0 })).status, 200);
    const recovered = await place(30_000);
    await eventually(async () => (await types(recovered)).some((e) => e.type === 'OrderFilledOnExchange'));
    assert.deepEqual((await types(recovered)).map((e) => e.type), ['OrderPlacedOnExchange', 'OrderFilledOnExchange']);
    await eventually(async () => (await gauge()) === 0);
    const r = await ready();
    assert.equal(r.body.checks.find((c) => c.name === 'market:breaker:exchange')?.ready, true);
  });

  it('an operator forces the breaker open (nothing is sent, the order waits) and gives it back (the order is placed)', async () => {
    const sys = systemContract('market');
    assert.deepEqual(await system.call(sys, '_breaker', { target: 'exchange', state: 'open' }), { target: 'exchange', state: 'forced-open' });
    assert.equal(await gauge(), 1);
    const orderId = await place(30_000);
    await eventually(async () => (await system.call(marketContract, 'getExchangeOrder', { orderId }).catch(() => undefined))?.status === 'pending');
    assert.equal((await system.call(marketContract, 'getExchangeOrder', { orderId })).attempts, 0, 'nothing sent while forced open');
    assert.deepEqual(await system.call(sys, '_breaker', { target: 'exchange', state: 'auto' }), { target: 'exchange', state: 'closed' });
    await eventually(async () => (await types(orderId)).some((e) => e.type === 'OrderFilledOnExchange'));
  });

  it('with the exchange slower than the timeout, calls time out, the placement is retried and ends exchange_unavailable, nothing half-done', async () => {
    assert.equal((await settings({ latencyMs: 3000 })).status, 200);
    try {
      const orderId = await place(2500);
      await eventually(async () => (await types(orderId)).length > 0, { timeoutMs: 20_000 });
      assert.deepEqual(await types(orderId), [{ type: 'OrderPlacementFailed', reason: 'exchange_unavailable' }]);
      const { rows } = await system.databases.get('market')!.db.query<{ status: string; attempts: number; last_error: string }>('SELECT status, attempts, last_error FROM exchange_jobs WHERE order_id = $1', [orderId]);
      assert.equal(rows[0]!.status, 'failed');
      assert.ok(rows[0]!.attempts >= 1, 'placement attempted');
      assert.match(rows[0]!.last_error, /timeout|deadline|breaker/);
      assert.equal(await unfinished(), 0, 'no job left pending or placed');
      assert.equal((await types(orderId)).filter((e) => e.type === 'OrderPlacementFailed').length, 1);
    } finally {
      await settings({ latencyMs: 0 });
    }
  });
});
