/**
 * What orders reads of accounts when it takes an order (src/place-order.ts): the account's owner
 * (the caller's, or not_found) and whether it is open (account_closed otherwise); not_found is
 * answered as the order's not_found.
 */
import { expects } from '@simplebank/chassis/testing';
import { accountsContract } from '@simplebank/accounts/contract';

const CUSTOMER = { customerId: 'c-orders', role: 'customer' } as const;

export default expects(accountsContract, {
  consumer: 'orders',
  interactions: [
    {
      description: "placeOrder checks the account is the caller's and open",
      given: 'an account of the caller',
      as: CUSTOMER,
      call: 'getAccount',
      request: { accountId: 'acc-1' },
      reads: [
        { path: 'ownerId', type: 'string' },
        { path: 'status', type: 'string' },
      ],
    },
    {
      description: 'placeOrder refuses an account that is not there',
      as: CUSTOMER,
      call: 'getAccount',
      request: { accountId: 'acc-missing' },
      error: 'not_found',
    },
  ],
});
