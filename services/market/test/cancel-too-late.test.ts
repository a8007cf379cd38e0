/** A cancel that reaches the exchange after the fill: the 409 answer is reported as the fill, once. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { newEnvelope } from '@simplebank/chassis';
import { eventually, startTestSystem, type TestSystem } from '@simplebank/chassis/testing';
import { exchangeApiKey } from '@simplebank/exchange/contract';
import { marketDataContract } from '@simplebank/market-data/contract';
import { marketContract } from '../src/contract.ts';

process.env.PRICE_TICK_MS = '0';
process.env.EXCHANGE_FILL_DELAY_MS = '0';
// market looks at a placed order only after a minute, and the fill's callback is lost (below): the
// cancel is what finds the fill.
process.env.EXCHANGE_POLL_MS = '60000';
const { marketDataService } = await import('@simplebank/market-data/service');
const { exchangeService } = await import('@simplebank/exchange/service');
const { marketService } = await import('../src/service.ts');

describe('market, a cancel too late', () => {
  let system: TestSystem;
  before(async () => {
    system = await startTestSystem([marketDataService, exchangeService, marketService]);
    await system.call(marketDataContract, 'pinPrice', { assetId: 'MSFT', price: '400.00' });
  });
  after(async () => {
    await system.stop({ drop: true });
  });

  async function events(orderId: string) {
    const { rows } = await system.databases
      .get('market')!
      .db.query<{ body: string }>('SELECT body FROM chassis_outbox ORDER BY id');
    return rows
      .map((r) => JSON.parse(r.body) as { type: string; data: Record<string, string> })
      .filter((e) => e.data.orderId === orderId);
  }
  async function send(
    command: 'PlaceOrderOnExchange' | 'CancelOrderOnExchange',
    data: { orderId: string },
  ): Promise<void> {
    const def = marketContract.commands[command];
    const envelope = newEnvelope({ type: def.type, version: 1, source: 'orders', data, key: data.orderId });
    await system.transport.publish({
      destination: { kind: 'command', queue: def.type },
      messageId: envelope.id,
      body: JSON.stringify(envelope),
    });
  }

  it('publishes OrderFilledOnExchange (once) when the exchange answers the cancel with 409 filled', async () => {
    // Closed at placement (the order stays open there), then filled in the exchange's book directly:
    // a fill whose callback never reached market.
    const settings = (body: unknown) =>
      fetch(`${system.runtime.address}/exchange/settings`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${exchangeApiKey(undefined)}` },
        body: JSON.stringify(body),
      });
    assert.equal((await settings({ open: false })).status, 200);
    const orderId = randomUUID();
    await send('PlaceOrderOnExchange', {
      orderId,
      assetId: 'MSFT',
      side: 'sell',
      quantity: '2',
      limitPrice: '380.00',
      placeBy: new Date(Date.now() + 30_000).toISOString(),
    } as never);
    const placed = await eventually(async () =>
      (await events(orderId)).find((e) => e.type === 'market.OrderPlacedOnExchange.v1'),
    );
    const exchangeOrderId = placed.data.exchangeOrderId!;
    await system.databases
      .get('exchange')!
      .db.query(
        "UPDATE exchange_orders SET status = 'filled', fill_price_cents = 40000, filled_at = now() WHERE id = $1 AND status = 'open'",
        [exchangeOrderId],
      );
    assert.equal(
      (
        (await (
          await fetch(`${system.runtime.address}/exchange/orders/${exchangeOrderId}`, {
            headers: { authorization: `Bearer ${exchangeApiKey(undefined)}` },
          })
        ).json()) as { status: string }
      ).status,
      'filled',
    );
    assert.deepEqual(
      (await events(orderId)).map((e) => e.type),
      ['market.OrderPlacedOnExchange.v1'],
      'market has not seen the fill yet',
    );

    await send('CancelOrderOnExchange', { orderId, reason: 'canceled_by_customer' } as never);
    const filled = await eventually(async () =>
      (await events(orderId)).find((e) => e.type === 'market.OrderFilledOnExchange.v1'),
    );
    assert.equal(filled.data.fillPrice, '400.00');
    assert.equal(filled.data.quantity, '2');
    await send('CancelOrderOnExchange', { orderId, reason: 'canceled_by_customer' } as never);
    // A repeated cancel, then a marker command: once the marker is handled, the repeat most likely was too.
    const marker = randomUUID();
    await send('CancelOrderOnExchange', { orderId: marker, reason: 'expired' } as never);
    await eventually(async () => (await events(marker)).length === 1);
    assert.deepEqual(
      (await events(orderId)).map((e) => e.type),
      ['market.OrderPlacedOnExchange.v1', 'market.OrderFilledOnExchange.v1'],
    );
    assert.equal((await system.call(marketContract, 'getExchangeOrder', { orderId })).status, 'filled');
  });
});
