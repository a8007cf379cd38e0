/**
 * accounts honours what its consumers expect of it (decision 37): every
 * services/<consumer>/test/contracts/accounts.expectations.ts, against the real service.
 */
import { randomUUID } from 'node:crypto';
import { verifyConsumerExpectations } from '@simplebank/chassis/testing';
import { accountsContract } from '../src/contract.ts';
import { accountsService } from '../src/service.ts';

await verifyConsumerExpectations(accountsService, {
  servicesDir: new URL('../..', import.meta.url),
  states: {
    'an account of the caller': async ({ service, identity }) => {
      const account = await service.callAs(identity)(accountsContract, 'openAccount', { name: 'Main' });
      return { request: { accountId: account.id, accountIds: [account.id] } };
    },
    'an account of another customer': async ({ service }) => {
      const account = await service.callAs({ customerId: `other-${randomUUID()}`, role: 'customer' })(
        accountsContract,
        'openAccount',
        { name: 'Not yours' },
      );
      return { request: { accountId: account.id, accountIds: [account.id] } };
    },
  },
});
