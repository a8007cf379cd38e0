/**
 * What strategy-orders reads of accounts before an investment (src/invest.ts): the destination
 * account's id, owner (the caller's, or not_found) and whether it is open.
 */
import { expects } from '@simplebank/chassis/testing';
import { accountsContract } from '@simplebank/accounts/contract';

const CUSTOMER = { customerId: 'c-investor', role: 'customer' } as const;

export default expects(accountsContract, {
  consumer: 'strategy-orders',
  interactions: [
    {
      description: "an investment goes into the caller's open account",
      given: 'an account of the caller',
      as: CUSTOMER,
      call: 'getAccount',
      request: { accountId: 'acc-1' },
      reads: [
        { path: 'id', type: 'string' },
        { path: 'ownerId', type: 'string' },
        { path: 'status', type: 'string' },
      ],
    },
    {
      description: 'an investment into an account that is not there is refused',
      as: CUSTOMER,
      call: 'getAccount',
      request: { accountId: 'acc-missing' },
      error: 'not_found',
    },
  ],
});
