/**
 * market: a placement given up (exchange_unavailable) after calls that timed out may still have
 * reached the exchange; market cancels it there by client order id, so it never fills.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { newEnvelope } from '@simplebank/chassis';
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

describe('market: a placement with unknown outcome', () => {
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
  /** The exchange's order for our client order id (its own book), if any arrived. */
  async function exchangeOrder(clientOrderId: string): Promise<{ id: string; status: string } | undefined> {
    const { rows } = await system.databases.get('exchange')!.db.query<{ id: string; status: string }>('SELECT id, status FROM exchange_orders WHERE client_order_id = $1', [clientOrderId]);
    return rows[0];
  }
  const job = async (orderId: string) =>
    (await system.databases.get('market')!.db.query<{ status: string; followup: string | null; placement_unknown: boolean }>('SELECT status, followup, placement_unknown FROM exchange_jobs WHERE order_id = $1', [orderId])).rows[0];

  before(async () => {
    system = await startTestSystem([marketDataService, exchangeService, marketService]);
    await system.call(marketDataContract, 'pinPrice', { assetId: 'AAPL', price: '250.00' });
    assert.equal((await settings({ open: true, latencyMs: 0, failureRate: 0, fillDelayMs: 50 })).status, 200);
  });
  after(async () => {
    await system.stop({ drop: true });
  });

  it('gives up after timeouts (exchange_unavailable), then cancels the order the exchange accepted late: it ends canceled, not filled', async () => {
    // Slower than EXCHANGE_TIMEOUT_MS; a long fill delay: whatever arrives stays open until canceled.
    assert.equal((await settings({ latencyMs: 1500, fillDelayMs: 600_000 })).status, 200);
    let orderId: string;
    try {
      orderId = await place(800);
      await eventually(async () => (await types(orderId)).length > 0, { timeoutMs: 20_000 });
      assert.deepEqual(await types(orderId), [{ type: 'OrderPlacementFailed', reason: 'exchange_unavailable' }]);
      const failed = await job(orderId);
      assert.equal(failed!.status, 'failed');
      assert.equal(failed!.placement_unknown, true);
    } finally {
      assert.equal((await settings({ latencyMs: 0 })).status, 200);
    }
    // The follow-up is done, and the exchange's order for that client id (arrived late) is canceled.
    await eventually(async () => (await job(orderId))?.followup === null, { timeoutMs: 20_000, message: 'the cancel follow-up finishes' });
    const order = await eventually(async () => {
      const o = await exchangeOrder(orderId);
      return o && o.status !== 'open' ? o : undefined;
    }, { timeoutMs: 20_000, message: 'the late order is canceled on the exchange' });
    assert.equal(order.status, 'canceled');
    assert.equal((await job(orderId))!.status, 'failed');
    assert.deepEqual(await types(orderId), [{ type: 'OrderPlacementFailed', reason: 'exchange_unavailable' }], 'no fill published');
  });
});
