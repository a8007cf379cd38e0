/**
 * market with the real exchange and market-data in one runtime, tuned for tests of the exchange's
 * misbehaviour: short timeouts, few attempts, a breaker that opens and probes quickly. Shared by the
 * breaker, unknown-placement and turns tests (a test may change a setting after importing this, before
 * it starts the system).
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
  /** Sends market a CancelOrderOnExchange command. */
  cancel(orderId: string, reason: 'canceled_by_customer' | 'expired'): Promise<void>;
  /** PUT /exchange/settings. */
  settings(body: unknown): Promise<Response>;
  /** GET /exchange/orders/{id}: the order as the exchange holds it. */
  exchangeOrder(exchangeOrderId: string): Promise<{ clientOrderId: string; status: string }>;
}

export async function startExchangeSystem(): Promise<ExchangeSystem> {
  const system = await startTestSystem([marketDataService, exchangeService, marketService]);
  await system.call(marketDataContract, 'pinPrice', { assetId: 'AAPL', price: '250.00' });
  const authorization = `Bearer ${exchangeApiKey(undefined)}`;
  const settings = (body: unknown) =>
    fetch(`${system.runtime.address}/exchange/settings`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify(body),
    });
  /** A command to market, as orders sends it. */
  const send = async (
    def: (typeof marketContract.commands)[keyof typeof marketContract.commands],
    data: { orderId: string; [field: string]: unknown },
  ) => {
    const envelope = newEnvelope({
      type: def.type,
      version: 1,
      source: 'orders',
      data,
      key: data.orderId,
      cause: { correlationId: `test-${randomUUID()}`, identity: { customerId: 'service:orders', role: 'system' } },
    });
    await system.transport.publish({
      destination: { kind: 'command', queue: def.type },
      messageId: envelope.id,
      body: JSON.stringify(envelope),
    });
  };
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
      await send(marketContract.commands.PlaceOrderOnExchange, {
        orderId,
        assetId: 'AAPL',
        side: 'buy',
        quantity: '1',
        limitPrice: '300.00',
        placeBy: new Date(Date.now() + placeByMs).toISOString(),
      });
      return orderId;
    },
    cancel: (orderId, reason) => send(marketContract.commands.CancelOrderOnExchange, { orderId, reason }),
    async exchangeOrder(exchangeOrderId) {
      const res = await fetch(`${system.runtime.address}/exchange/orders/${exchangeOrderId}`, {
        headers: { authorization },
      });
      return (await res.json()) as { clientOrderId: string; status: string };
    },
  };
}
