/**
 * strategy-orders honours what its consumers expect of it (decision 37): every
 * services/<consumer>/test/contracts/strategy-orders.expectations.ts, against the real service, with
 * its collaborators stubbed (FakeWorld, its own tables in a database of their own). The states open
 * an account for the caller beside a strategy of three assets, and make an investment of it; the
 * interaction gets their ids.
 */
import { randomUUID } from 'node:crypto';
import { after } from 'node:test';
import type { Identity } from '@simplebank/chassis';
import { createTestDatabase, verifyConsumerExpectations } from '@simplebank/chassis/testing';
import { strategyOrdersContract } from '../src/contract.ts';
import { strategyOrdersService } from '../src/service.ts';
import { FakeWorld } from './fake-world.ts';

const database = await createTestDatabase('strategy_orders_contract_world');
const world = new FakeWorld(database.db);
await world.prepare();
after(() => database.drop());

const accountAndStrategy = (identity: Identity) => {
  const accountId = `acc-${randomUUID()}`;
  world.accounts.set(accountId, { ownerId: identity.customerId, status: 'open' });
  const strategyId = randomUUID();
  world.strategies.set(strategyId, {
    name: 'Thirds',
    assets: [
      { assetId: 'AAA', percentage: '33.33' },
      { assetId: 'BBB', percentage: '33.33' },
      { assetId: 'CCC', percentage: '33.34' },
    ],
  });
  return { strategyId, destinationAccountId: accountId };
};

await verifyConsumerExpectations(strategyOrdersService, {
  servicesDir: new URL('../..', import.meta.url),
  stubs: world.stubs(),
  states: {
    'an account of the caller and a strategy': async ({ identity }) => ({ request: accountAndStrategy(identity) }),
    'an investment of the caller': async ({ service, identity }) => {
      const investment = await service.callAs(identity)(
        strategyOrdersContract,
        'invest',
        { ...accountAndStrategy(identity), amount: '300.00', method: 'bank_transfer' },
        { idempotencyKey: randomUUID() },
      );
      return { request: { investmentId: investment.id } };
    },
  },
});
