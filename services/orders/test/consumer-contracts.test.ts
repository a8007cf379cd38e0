/**
 * orders honours what its consumers expect of it (decision 37): every
 * services/<consumer>/test/contracts/orders.expectations.ts, against the real service, with accounts,
 * market-data and the ledger stubbed (FakeWorld) and fees stubbed at its contract (a 1.00 fee). The
 * states open an account for the caller with cash, and place an order on it; the interaction gets
 * their ids.
 */
import { randomUUID } from 'node:crypto';
import type { Transport } from '@simplebank/chassis';
import { stubService, verifyConsumerExpectations } from '@simplebank/chassis/testing';
import { feesContract } from '@simplebank/fees/contract';
import { ordersContract } from '../src/contract.ts';
import { ordersService } from '../src/service.ts';
import { FakeWorld } from './fake-collaborators.ts';

const world = new FakeWorld();
const fees = (t: Transport) =>
  stubService(t, feesContract, {
    quoteFee: () => ({ fee: '1.00', scheduleVersion: 1 }),
    chargeFee: () => ({ feeId: randomUUID(), amount: '1.00' }),
    refundFee: () => ({ refunded: true, amount: '1.00' }),
  });

const openAccount = (customerId: string) => {
  const accountId = `acc-${randomUUID()}`;
  world.openAccount(accountId, customerId, '10000.00');
  return accountId;
};

await verifyConsumerExpectations(ordersService, {
  servicesDir: new URL('../..', import.meta.url),
  stubs: [...world.stubs(), fees],
  states: {
    'an open account of the caller with cash': async ({ identity }) => {
      const accountId = openAccount(identity.customerId);
      return { request: { accountId } };
    },
    'an order of the caller': async ({ service, identity }) => {
      const accountId = openAccount(identity.customerId);
      const order = await service.callAs(identity)(
        ordersContract,
        'placeOrder',
        { accountId, assetId: 'ABC', side: 'buy', quantity: '1' },
        { idempotencyKey: randomUUID() },
      );
      return { request: { orderId: order.id, accountId, accountIds: [accountId] } };
    },
  },
});
