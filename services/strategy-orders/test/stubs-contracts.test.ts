/**
 * strategy-orders' fake world (test/fake-world.ts: strategies, accounts, market-data, fees, payments
 * and orders stubbed at their contracts) answers what strategy-orders reads of the services it stands
 * for: the same example calls its expectations (test/contracts/*.expectations.ts) make on the real
 * providers in their own tests (decision 37). The states are written into the fake world's tables,
 * as the providers' tests make them for real.
 */
import { randomUUID } from 'node:crypto';
import { after } from 'node:test';
import { createTestDatabase, loadConsumerExpectations, verifyStubs } from '@simplebank/chassis/testing';
import { FakeWorld } from './fake-world.ts';

const database = await createTestDatabase('strategy_orders_stubs_world');
const world = new FakeWorld(database.db);
await world.prepare();
world.silent = true; // the stubs' events would reach no one here
// The assets the market-data expectation prices (the real provider has them from its seed).
world.prices.set('AAPL', '190.00');
world.prices.set('MSFT', '410.00');
after(() => database.drop());

const accountOf = (customerId: string) => {
  const accountId = `acc-${randomUUID()}`;
  world.accounts.set(accountId, { ownerId: customerId, status: 'open' });
  return accountId;
};

const expectations = await loadConsumerExpectations('strategy-orders', {
  servicesDir: new URL('../..', import.meta.url),
});
verifyStubs(expectations, () => world.stubs(), {
  states: {
    'an account of the caller': ({ identity }) => ({ request: { accountId: accountOf(identity.customerId) } }),
    'an open account of the caller with cash': ({ identity }) => ({
      request: { accountId: accountOf(identity.customerId) },
    }),
    'a payment of the caller': async ({ identity }) => {
      const id = randomUUID();
      await database.db.query(
        `INSERT INTO fake_payments (id, key, account_id, customer_id, amount, method, status)
         VALUES ($1, $2, $3, $4, '25.00', 'bank_transfer', 'completed')`,
        [id, randomUUID(), accountOf(identity.customerId), identity.customerId],
      );
      return { request: { paymentId: id } };
    },
    'an order of the caller': async ({ identity }) => {
      const id = randomUUID();
      await database.db.query(
        `INSERT INTO fake_orders (id, key, account_id, asset_id, quantity, quote, limit_price, fee, reservation, investment_id, source, status)
         VALUES ($1, $2, $3, 'AAA', '1', '10.00', '10.50', '1.00', '10.50', $4, 'strategy', 'pending')`,
        [id, randomUUID(), accountOf(identity.customerId), randomUUID()],
      );
      return { request: { orderId: id } };
    },
  },
});
