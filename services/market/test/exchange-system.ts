/**
 * market with the real exchange and market-data in one runtime, tuned for tests of the exchange's
 * misbehaviour: short timeouts, few attempts, a breaker that opens and probes quickly. Shared by the
 * breaker and unknown-placement tests.
 */
import { randomUUID } from 'node:crypto';
import { newEnvelope } from '@simplebank/chassis';
import { exchangeApiKey } from '@simplebank/exchange/contract';
import { startTestSystem, type TestSystem } from '@simplebank/chassis/testing';
import { marketDataContract } from '@simplebank/market-data/contract';
import { marketContract } from '../src/contract.ts';

// Settings are read when the services start; set before the services are imported, as a process would.
Object.assign(process.env, {
  PRICE_TICK_MS: '0',
  EXCHANGE_FILL_DELAY_MS: '50',
  EXCHANGE_POLL_MS: '50',
  EXCHANGE_TIMEOUT_MS: '300',
  EXCHANGE_MAX_ATTEMPTS: '2',
  EXCHANGE_BREAKER_MIN_CALLS: '3',
  EXCHANGE_BREAKER_WINDOW_MS: '5000',
  EXCHANGE_BREAKER_HALF_OPEN_MS: '200',
  EXCHANGE_BREAKER_MAX_HALF_OPEN_MS: '800',
});
const { marketDataService } = await import('@simplebank/market-data/service');
const { exchangeService } = await import('@simplebank/exchange/service');
const { marketService } = await import('../src/service.ts');

export interface ExchangeSystem {
  system: TestSystem;
  /** What market published about an order, in order: `{type, reason?}` with the type's short name. */
  types(orderId: string): Promise<Array<{ type: string; reason?: string }>>;
  /** Sends market a PlaceOrderOnExchange command for 1 AAPL (limit 300.00), to be placed within `placeByMs`. */
  place(placeByMs: number): Promise<string>;
  /** PUT /exchange/settings. */
  settings(body: unknown): Promise<Response>;
}

export async function startExchangeSystem(): Promise<ExchangeSystem> {
  const system = await startTestSystem([marketDataService, exchangeService, marketService]);
  await system.call(marketDataContract, 'pinPrice', { assetId: 'AAPL', price: '250.00' });
  const settings = (body: unknown) =>
    fetch(`${system.runtime.address}/exchange/settings`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${exchangeApiKey(undefined)}` },
      body: JSON.stringify(body),
    });
  const reset = await settings({ open: true, latencyMs: 0, failureRate: 0, fillDelayMs: 50 });
  if (reset.status !== 200) throw new Error(`could not reset the exchange: ${reset.status}`);
  return {
    system,
    settings,
    async types(orderId) {
      const { rows } = await system.databases
        .get('market')!
        .db.query<{ body: string }>('SELECT body FROM chassis_outbox ORDER BY id');
      return rows
        .map((r) => JSON.parse(r.body) as { type: string; data: Record<string, string> })
        .filter((e) => e.data.orderId === orderId)
        .map((e) => ({
          type: e.type.replace(/^market\.(\w+)\.v1$/, '$1'),
          ...(e.data.reason ? { reason: e.data.reason } : {}),
        }));
    },
    async place(placeByMs) {
      const orderId = randomUUID();
      const data = {
        orderId,
        assetId: 'AAPL',
        side: 'buy',
        quantity: '1',
        limitPrice: '300.00',
        placeBy: new Date(Date.now() + placeByMs).toISOString(),
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
    },
  };
}
