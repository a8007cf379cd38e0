/**
 * payments honours what its consumers expect of it (decision 37): every
 * services/<consumer>/test/contracts/payments.expectations.ts, against the real service, with accounts
 * and the ledger stubbed (World). The states open an account of the caller with 1,000.00 of cash, and
 * make a deposit on it; the interaction gets their ids.
 */
import { randomUUID } from 'node:crypto';
import { verifyConsumerExpectations } from '@simplebank/chassis/testing';
import { paymentsContract } from '../src/contract.ts';
import { paymentsService } from '../src/service.ts';
import { World } from './world.ts';

const world = new World();

await verifyConsumerExpectations(paymentsService, {
  servicesDir: new URL('../..', import.meta.url),
  stubs: world.stubs(),
  states: {
    'an open account of the caller with cash': async ({ identity }) => ({
      request: { accountId: world.openAccount(identity.customerId, '1000.00') },
    }),
    'a payment of the caller': async ({ service, identity }) => {
      const accountId = world.openAccount(identity.customerId, '1000.00');
      const payment = await service.callAs(identity)(
        paymentsContract,
        'requestDeposit',
        { accountId, amount: '25.00', method: 'bank_transfer' },
        { idempotencyKey: randomUUID() },
      );
      return { request: { paymentId: payment.id } };
    },
  },
});
