/**
 * What the gateway reads of accounts (decision 37). The `ownAccount` guard (src/http/auth.ts) gets
 * the caller's account before every /v1/accounts/{id}… route and answers 404 on not_found; the
 * accounts routes (src/routes/accounts.ts `withCash`) show its id, name, currency, status and
 * createdAt; GraphQL's account loader (src/graphql/loaders.ts) gets several in one call, null where
 * the caller may not see one. Verified against accounts by services/accounts/test/consumer-contracts.test.ts;
 * the gateway's stubs (test/stubs.ts) by test/stubs-contracts.test.ts.
 */
import { expects, type Read } from '@simplebank/chassis/testing';
import { accountsContract } from '@simplebank/accounts/contract';

const ALICE = { customerId: 'c-alice', role: 'customer' } as const;
const account = (prefix = ''): Read[] => [
  { path: `${prefix}id`, type: 'string' },
  { path: `${prefix}name`, type: 'string' },
  { path: `${prefix}currency`, type: 'string' },
  { path: `${prefix}status`, type: 'string' },
  { path: `${prefix}createdAt`, type: 'string' },
];

export default expects(accountsContract, {
  consumer: 'gateway',
  interactions: [
    {
      description: "the ownAccount guard lets the caller's own account through",
      given: 'an account of the caller',
      as: ALICE,
      call: 'getAccount',
      request: { accountId: 'acc-alice' },
      reads: account(),
    },
    {
      description: "the ownAccount guard answers 404 for another customer's account",
      given: 'an account of another customer',
      as: ALICE,
      call: 'getAccount',
      request: { accountId: 'acc-bob' },
      error: 'not_found',
    },
    {
      description: 'POST /v1/accounts shows the account opened',
      as: ALICE,
      call: 'openAccount',
      request: { name: 'Main' },
      reads: account(),
    },
    {
      description: "GET /v1/accounts lists the caller's accounts page by page",
      given: 'an account of the caller',
      as: ALICE,
      call: 'listAccounts',
      request: {},
      reads: [...account('items[].'), { path: 'nextCursor', type: ['string', 'null'] }],
    },
    {
      description: 'GraphQL loads accounts in batches',
      given: 'an account of the caller',
      as: ALICE,
      call: 'getAccounts',
      request: { accountIds: ['acc-alice'] },
      reads: account('items[].'),
    },
  ],
});
