/**
 * What the gateway reads of the ledger, transactions (decision 37): an account's cash
 * (src/routes/accounts.ts `withCash`, and GraphQL's balances loader), its entries passed on as the
 * public LedgerEntry page, and the admin's trial balance (src/routes/admin.ts).
 */
import { expects } from '@simplebank/chassis/testing';
import { transactionsContract } from '@simplebank/transactions/contract';

const ALICE = { customerId: 'c-alice', role: 'customer' } as const;
const ADMIN = { customerId: 'c-admin', role: 'admin' } as const;

export default expects(transactionsContract, {
  consumer: 'gateway',
  interactions: [
    {
      description: 'GET /v1/accounts/{id} shows the cash',
      given: 'an account with cash',
      as: ALICE,
      call: 'getBalances',
      request: { accountId: 'acc-alice' },
      reads: [
        { path: 'cash.available', type: 'string' },
        { path: 'cash.reserved', type: 'string' },
      ],
    },
    {
      description: 'GraphQL loads the cash of several accounts at once',
      given: 'an account with cash',
      as: ALICE,
      call: 'getBalancesOf',
      request: { accountIds: ['acc-alice'] },
      reads: [
        { path: 'items[].cash.available', type: 'string' },
        { path: 'items[].cash.reserved', type: 'string' },
      ],
    },
    {
      description: "GET /v1/accounts/{id}/transactions lists the account's entries",
      given: 'an account with cash',
      as: ALICE,
      call: 'listEntries',
      request: { accountId: 'acc-alice' },
      reads: [
        { path: 'items[].id', type: 'string' },
        { path: 'items[].at', type: 'string' },
        { path: 'items[].kind', type: 'string' },
        { path: 'items[].asset', type: 'string' },
        { path: 'items[].amount', type: 'string' },
        { path: 'items[].book', type: 'string' },
        { path: 'nextCursor', type: ['string', 'null'] },
      ],
    },
    {
      description: 'GET /v1/admin/ledger/trial-balance shows whether the ledger balances, per asset',
      given: 'an account with cash',
      as: ADMIN,
      call: 'trialBalance',
      request: {},
      reads: [
        { path: 'balanced', type: 'boolean' },
        { path: 'assets[].asset', type: 'string' },
        { path: 'assets[].total', type: 'string' },
      ],
    },
  ],
});
