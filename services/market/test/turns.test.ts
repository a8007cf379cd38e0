/**
 * A job's turn holds no transaction while market talks to the exchange (issue 8): what happens to
 * a cancel, or to a turn that never records, while a call is in flight. The exchange answers after
 * two seconds here, so the test sees each turn in flight; nothing is asserted about time.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { newEnvelope } from '@simplebank/chassis';
import { eventually, startTestSystem, type TestSystem } from '@simplebank/chassis/testing';
import { exchangeApiKey } from '@simplebank/exchange/contract';
import { marketDataContract } from '@simplebank/market-data/contract';
import { marketContract } from '../src/contract.ts';

process.env.PRICE_TICK_MS = '0';
process.env.EXCHANGE_POLL_MS = '600000';
process.env.EXCHANGE_TIMEOUT_MS = '10000';
const { marketDataService } = await import('@simplebank/market-data/service');
const { exchangeService } = await import('@simplebank/exchange/service');
const { marketService } = await import('../src/service.ts');

describe('market: a turn in flight', () => {
  let system: TestSystem;
  const db = () => system.databases.get('market')!.db;

  async function types(orderId: string): Promise<string[]> {
    const { rows } = await db().query<{ body: string }>('SELECT body FROM chassis_outbox ORDER BY id');
    return rows
      .map((r) => JSON.parse(r.body) as { type: string; data: { orderId: string } })
      .filter((e) => e.data.orderId === orderId)
      .map((e) => e.type.replace(/^market\.(\w+)\.v1$/, '$1'));
  }
  async function send(
    command: 'PlaceOrderOnExchange' | 'CancelOrderOnExchange',
    data: { orderId: string; [field: string]: unknown },
  ) {
    const def = marketContract.commands[command];
    const id = randomUUID();
    const envelope = newEnvelope({
      type: def.type,
      version: 1,
      source: 'orders',
      data,
      id,
      key: data.orderId,
      cause: { correlationId: `test-${id}`, identity: { customerId: 'service:orders', role: 'system' } },
    });
    await system.transport.publish({
      destination: { kind: 'command', queue: def.type },
      messageId: envelope.id,
      body: JSON.stringify(envelope),
    });
  }
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
  const placement = () => ({
    orderId: randomUUID(),
    assetId: 'AAPL',
    side: 'buy' as const,
    quantity: '3',
    limitPrice: '300.00',
    placeBy: new Date(Date.now() + 60_000).toISOString(),
  });
  async function inFlight(orderId: string): Promise<{ turn: number }> {
    return eventually(
      async () => {
        const { rows } = await db().query<{ turn: number; in_turn: boolean }>(
          'SELECT turn, in_turn FROM exchange_jobs WHERE order_id = $1',
          [orderId],
        );
        return rows[0]?.in_turn ? { turn: rows[0].turn } : undefined;
      },
      { message: 'the placement turn in flight' },
    );
  }
  const jobOf = (orderId: string) => system.call(marketContract, 'getExchangeOrder', { orderId });

  before(async () => {
    system = await startTestSystem([marketDataService, exchangeService, marketService]);
    await system.call(marketDataContract, 'pinPrice', { assetId: 'AAPL', price: '250.00' });
    // Closed: orders are accepted, never filled. Two seconds per call: each turn is seen in flight.
    const settings = await exchange('PUT', '/settings', { open: false, latencyMs: 2000, failureRate: 0 });
    assert.equal(settings.status, 200);
  });
  after(async () => {
    await system.stop({ drop: true });
  });

  it('a cancel during the placement call is kept: the order is placed, then canceled on the exchange', async () => {
    const cmd = placement();
    await send('PlaceOrderOnExchange', cmd);
    await inFlight(cmd.orderId);
    await send('CancelOrderOnExchange', { orderId: cmd.orderId, reason: 'canceled_by_customer' });
    await eventually(async () => (await types(cmd.orderId)).includes('OrderCanceledOnExchange'), { timeoutMs: 30_000 });
    assert.deepEqual(await types(cmd.orderId), ['OrderPlacedOnExchange', 'OrderCanceledOnExchange']);
    const job = await jobOf(cmd.orderId);
    assert.equal(job.status, 'canceled');
    assert.equal((await exchange('GET', `/orders/${job.exchangeOrderId}`)).body.status, 'canceled');
  });

  it('a turn taken over while in flight (as after a crash) drops its outcome; the next turn finds the same exchange order', async () => {
    const cmd = placement();
    await send('PlaceOrderOnExchange', cmd);
    const { turn } = await inFlight(cmd.orderId);
    // Another worker's claim, as when this turn's claim ran out: the first turn may no longer record.
    await db().query(
      'UPDATE exchange_jobs SET turn = turn + 1, next_attempt_at = clock_timestamp() WHERE order_id = $1 AND turn = $2',
      [cmd.orderId, turn],
    );
    await eventually(async () => (await jobOf(cmd.orderId)).status === 'placed', { timeoutMs: 30_000 });
    const job = await jobOf(cmd.orderId);
    const { rows } = await db().query<{ placement_unknown: boolean; turn: number }>(
      'SELECT placement_unknown, turn FROM exchange_jobs WHERE order_id = $1',
      [cmd.orderId],
    );
    // Claimed again with the first turn unrecorded: the placement counted as unknown, placed once more.
    assert.equal(rows[0]!.placement_unknown, true);
    assert.equal(rows[0]!.turn, turn + 2);
    assert.deepEqual(await types(cmd.orderId), ['OrderPlacedOnExchange']);
    // The exchange holds one order for our client order id: the repeated placement was the same one.
    const onExchange = await exchange('GET', `/orders/${job.exchangeOrderId}`);
    assert.equal(onExchange.body.clientOrderId, cmd.orderId);
    assert.equal(onExchange.body.status, 'open');
  });
});
