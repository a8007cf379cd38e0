/**
 * What holdings reads of accounts to authorize a read of holdings (src/service.ts): getAccount's
 * not_found for an account the caller may not see (answered as is), and getAccounts' items, in the
 * order asked, null where the caller may not see one.
 */
import { expects } from '@simplebank/chassis/testing';
import { accountsContract } from '@simplebank/accounts/contract';

const CUSTOMER = { customerId: 'c-holdings', role: 'customer' } as const;

export default expects(accountsContract, {
  consumer: 'holdings',
  interactions: [
    {
      description: "getHoldings goes on for the caller's account",
      given: 'an account of the caller',
      as: CUSTOMER,
      call: 'getAccount',
      request: { accountId: 'acc-1' },
      reads: [],
    },
    {
      description: "getHoldings answers not_found for another customer's account",
      given: 'an account of another customer',
      as: CUSTOMER,
      call: 'getAccount',
      request: { accountId: 'acc-2' },
      error: 'not_found',
    },
    {
      description: 'getHoldingsOf values only the accounts the caller may see',
      given: 'an account of the caller',
      as: CUSTOMER,
      call: 'getAccounts',
      request: { accountIds: ['acc-1'] },
      reads: [{ path: 'items', type: 'array' }],
    },
  ],
});
