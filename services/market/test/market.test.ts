/** market with the real exchange and market-data in one runtime, driven by the commands orders sends. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { AppError, newEnvelope } from '@simplebank/chassis';
import { eventually, startTestSystem, type TestSystem } from '@simplebank/chassis/testing';
import { exchangeApiKey } from '@simplebank/exchange/contract';
import { marketDataContract } from '@simplebank/market-data/contract';
import { marketContract } from '../src/contract.ts';

process.env.PRICE_TICK_MS = '0';
process.env.EXCHANGE_FILL_DELAY_MS = '50';
// Fills reach market by the exchange's callbacks; the safety-net poll would come only after ten minutes.
process.env.EXCHANGE_POLL_MS = '600000';
process.env.EXCHANGE_TIMEOUT_MS = '1000';
// The real providers, for this system test (see the report: a service's test importing others' services).
const { marketDataService } = await import('@simplebank/market-data/service');
const { exchangeService } = await import('@simplebank/exchange/service');
const { marketService } = await import('../src/service.ts');

type Published = { type: string; data: Record<string, string> };

describe('market, placing and following orders on the exchange', () => {
  let system: TestSystem;

  async function events(orderId: string): Promise<Published[]> {
    const { rows } = await system.databases
      .get('market')!
      .db.query<{ body: string }>('SELECT body FROM chassis_outbox ORDER BY id');
    return rows
      .map((r) => JSON.parse(r.body) as Published)
      .filter((e) => e.data.orderId === orderId)
      .map((e) => ({ type: e.type.replace(/^market\.(\w+)\.v1$/, '$1'), data: e.data }));
  }
  const types = async (orderId: string) => (await events(orderId)).map((e) => e.type);

  async function send(
    command: 'PlaceOrderOnExchange' | 'CancelOrderOnExchange',
    data: unknown,
    id = randomUUID(),
  ): Promise<void> {
    const def = marketContract.commands[command];
    const envelope = newEnvelope({
      type: def.type,
      version: 1,
      source: 'orders',
      data,
      id,
      key: (data as { orderId: string }).orderId,
      cause: { correlationId: `test-${id}`, identity: { customerId: 'service:orders', role: 'system' } },
    });
    await system.transport.publish({
      destination: { kind: 'command', queue: def.type },
      messageId: envelope.id,
      body: JSON.stringify(envelope),
    });
  }
  const placement = (
    o: Partial<{
      orderId: string;
      assetId: string;
      side: 'buy' | 'sell';
      quantity: string;
      limitPrice: string;
      placeBy: string;
    }> = {},
  ) => ({
    orderId: randomUUID(),
    assetId: 'AAPL',
    side: 'buy' as const,
    quantity: '3',
    limitPrice: '300.00',
    placeBy: new Date(Date.now() + 30_000).toISOString(),
    ...o,
  });
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
  const job = (orderId: string) => system.call(marketContract, 'getExchangeOrder', { orderId });

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

  it('places the order (OrderPlacedOnExchange), then reports the fill at the current price (OrderFilledOnExchange)', async () => {
    const cmd = placement({ quantity: '3.5' });
    await send('PlaceOrderOnExchange', cmd);
    await eventually(async () => (await types(cmd.orderId)).includes('OrderFilledOnExchange'));
    const published = await events(cmd.orderId);
    assert.deepEqual(
      published.map((e) => e.type),
      ['OrderPlacedOnExchange', 'OrderFilledOnExchange'],
    );
    const [placed, filled] = published as [Published, Published];
    assert.equal(filled.data.exchangeOrderId, placed.data.exchangeOrderId);
    assert.equal(filled.data.fillPrice, '250.00');
    assert.equal(filled.data.quantity, '3.5');
    const onExchange = await exchange('GET', `/orders/${placed.data.exchangeOrderId}`);
    assert.equal(onExchange.body.clientOrderId, cmd.orderId);
    assert.equal(onExchange.body.status, 'filled');
    assert.deepEqual(await job(cmd.orderId), {
      orderId: cmd.orderId,
      exchangeOrderId: placed.data.exchangeOrderId,
      status: 'filled',
      attempts: 1,
    });
  });

  it('gives up with exchange_unavailable when the exchange keeps failing until placeBy', async () => {
    await exchange('PUT', '/settings', { failureRate: 1 });
    const cmd = placement({ placeBy: new Date(Date.now() + 1500).toISOString() });
    await send('PlaceOrderOnExchange', cmd);
    await eventually(async () => (await types(cmd.orderId)).includes('OrderPlacementFailed'));
    const published = await events(cmd.orderId);
    assert.deepEqual(
      published.map((e) => e.type),
      ['OrderPlacementFailed'],
    );
    assert.equal(published[0]!.data.reason, 'exchange_unavailable');
    const j = await job(cmd.orderId);
    assert.equal(j.status, 'failed');
    assert.ok(j.attempts >= 1);
    // Nothing was accepted on the exchange: the same client order id is new there.
    await exchange('PUT', '/settings', { failureRate: 0, open: false });
    assert.equal(
      (
        await exchange('POST', '/orders', {
          clientOrderId: cmd.orderId,
          assetId: 'AAPL',
          side: 'buy',
          quantity: '3',
          limitPrice: '300.00',
        })
      ).status,
      201,
    );
  });

  it('reports exchange_rejected when the exchange refuses the order', async () => {
    const cmd = placement({ assetId: 'NOT-LISTED' });
    await send('PlaceOrderOnExchange', cmd);
    await eventually(async () => (await types(cmd.orderId)).includes('OrderPlacementFailed'));
    const published = await events(cmd.orderId);
    assert.deepEqual(
      published.map((e) => [e.type, e.data.reason]),
      [['OrderPlacementFailed', 'exchange_rejected']],
    );
    assert.equal((await job(cmd.orderId)).attempts, 1, 'a refusal is not retried');
    // A zero quantity never goes to the exchange.
    const zero = placement({ quantity: '0' });
    await send('PlaceOrderOnExchange', zero);
    await eventually(async () => (await types(zero.orderId)).includes('OrderPlacementFailed'));
    assert.deepEqual(
      (await events(zero.orderId)).map((e) => [e.type, e.data.reason]),
      [['OrderPlacementFailed', 'exchange_rejected']],
    );
    assert.equal((await job(zero.orderId)).attempts, 0);
  });

  it('cancels a placed order on a closed exchange: OrderCanceledOnExchange, and it never fills', async () => {
    await exchange('PUT', '/settings', { open: false });
    const cmd = placement();
    await send('PlaceOrderOnExchange', cmd);
    await eventually(async () => (await types(cmd.orderId)).includes('OrderPlacedOnExchange'));
    await send('CancelOrderOnExchange', { orderId: cmd.orderId, reason: 'expired' });
    await eventually(async () => (await types(cmd.orderId)).includes('OrderCanceledOnExchange'));
    const published = await events(cmd.orderId);
    assert.deepEqual(
      published.map((e) => e.type),
      ['OrderPlacedOnExchange', 'OrderCanceledOnExchange'],
    );
    assert.equal(published[1]!.data.reason, 'expired');
    const exchangeOrderId = published[0]!.data.exchangeOrderId!;
    await exchange('PUT', '/settings', { open: true });
    // Orders placed after it fill; it stays canceled.
    const other = placement();
    await send('PlaceOrderOnExchange', other);
    await eventually(async () => (await types(other.orderId)).includes('OrderFilledOnExchange'));
    assert.equal((await exchange('GET', `/orders/${exchangeOrderId}`)).body.status, 'canceled');
    assert.deepEqual(await types(cmd.orderId), ['OrderPlacedOnExchange', 'OrderCanceledOnExchange']);
    assert.equal((await job(cmd.orderId)).status, 'canceled');
  });

  it('a cancel before placement drops the job: canceled, never placed', async () => {
    await exchange('PUT', '/settings', { failureRate: 1 }); // the placement cannot get through meanwhile
    const cmd = placement();
    await send('PlaceOrderOnExchange', cmd);
    await eventually(async () => (await job(cmd.orderId).catch(() => undefined))?.status === 'pending');
    await send('CancelOrderOnExchange', { orderId: cmd.orderId, reason: 'canceled_by_customer' });
    await eventually(async () => (await types(cmd.orderId)).includes('OrderCanceledOnExchange'));
    await exchange('PUT', '/settings', { failureRate: 0, open: false });
    // Later orders get placed; the canceled one never is.
    const other = placement();
    await send('PlaceOrderOnExchange', other);
    await eventually(async () => (await types(other.orderId)).includes('OrderPlacedOnExchange'));
    assert.deepEqual(
      (await events(cmd.orderId)).map((e) => [e.type, e.data.reason]),
      [['OrderCanceledOnExchange', 'canceled_by_customer']],
    );
    assert.equal((await job(cmd.orderId)).status, 'canceled');
    assert.equal(
      (
        await exchange('POST', '/orders', {
          clientOrderId: cmd.orderId,
          assetId: 'AAPL',
          side: 'buy',
          quantity: '3',
          limitPrice: '300.00',
        })
      ).status,
      201,
      'never placed on the exchange',
    );
  });

  it('a cancel that arrives before the placement command: the later placement is ignored', async () => {
    const cmd = placement();
    await send('CancelOrderOnExchange', { orderId: cmd.orderId, reason: 'canceled_by_customer' });
    await eventually(async () => (await types(cmd.orderId)).includes('OrderCanceledOnExchange'));
    await send('PlaceOrderOnExchange', cmd);
    const other = placement();
    await send('PlaceOrderOnExchange', other);
    await eventually(async () => (await types(other.orderId)).includes('OrderFilledOnExchange'));
    assert.deepEqual(await types(cmd.orderId), ['OrderCanceledOnExchange']);
    assert.equal((await job(cmd.orderId)).attempts, 0);
  });

  it('a duplicated command changes nothing: one placement, one fill, one cancel answer', async () => {
    const cmd = placement();
    const id = randomUUID();
    await send('PlaceOrderOnExchange', cmd, id);
    await send('PlaceOrderOnExchange', cmd, id); // the same message redelivered
    await send('PlaceOrderOnExchange', cmd); // the same command sent again
    await eventually(async () => (await types(cmd.orderId)).includes('OrderFilledOnExchange'));
    await send('CancelOrderOnExchange', { orderId: cmd.orderId, reason: 'canceled_by_customer' }); // too late: filled
    const other = placement();
    await send('PlaceOrderOnExchange', other);
    await eventually(async () => (await types(other.orderId)).includes('OrderFilledOnExchange'));
    assert.deepEqual(await types(cmd.orderId), ['OrderPlacedOnExchange', 'OrderFilledOnExchange']);
    const j = await job(cmd.orderId);
    assert.equal(j.status, 'filled');
    assert.equal(j.attempts, 1);

    await exchange('PUT', '/settings', { open: false });
    const toCancel = placement();
    await send('PlaceOrderOnExchange', toCancel);
    await eventually(async () => (await types(toCancel.orderId)).includes('OrderPlacedOnExchange'));
    await send('CancelOrderOnExchange', { orderId: toCancel.orderId, reason: 'canceled_by_customer' });
    await send('CancelOrderOnExchange', { orderId: toCancel.orderId, reason: 'canceled_by_customer' });
    await eventually(async () => (await types(toCancel.orderId)).includes('OrderCanceledOnExchange'));
    await send('CancelOrderOnExchange', { orderId: toCancel.orderId, reason: 'canceled_by_customer' });
    const marker = placement();
    await send('PlaceOrderOnExchange', marker);
    await eventually(async () => (await types(marker.orderId)).includes('OrderPlacedOnExchange'));
    assert.deepEqual(await types(toCancel.orderId), ['OrderPlacedOnExchange', 'OrderCanceledOnExchange']);
  });

  it('getExchangeOrder answers not_found for an unknown order', async () => {
    await assert.rejects(job('nope'), (e: unknown) => e instanceof AppError && e.code === 'not_found');
  });
});
