/**
 * What payments reads of accounts before a deposit or a withdrawal (src/service.ts
 * `openAccountOfCaller`): the caller's account (another's is not_found), its id, its owner (the
 * payment's customer) and whether it is open.
 */
import { expects } from '@simplebank/chassis/testing';
import { accountsContract } from '@simplebank/accounts/contract';

const CUSTOMER = { customerId: 'c-payments', role: 'customer' } as const;

export default expects(accountsContract, {
  consumer: 'payments',
  interactions: [
    {
      description: "a payment is requested on the caller's open account",
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
      description: "a payment on another customer's account is not_found",
      given: 'an account of another customer',
      as: CUSTOMER,
      call: 'getAccount',
      request: { accountId: 'acc-2' },
      error: 'not_found',
    },
  ],
});
