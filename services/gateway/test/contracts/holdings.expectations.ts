/**
 * What the gateway reads of holdings (decision 37): an account's cash and positions valued at current
 * prices, passed through as GET /v1/accounts/{id}/holdings (src/routes/accounts.ts), 404 for an
 * account that is not the caller's, and several accounts' holdings in one call for GraphQL's
 * `currentHoldings` (src/graphql/loaders.ts, schema.ts). Verified against holdings by
 * services/holdings/test/consumer-contracts.test.ts; the gateway's stub (test/stubs.ts) by
 * test/stubs-contracts.test.ts.
 */
import { expects, type Read } from '@simplebank/chassis/testing';
import { holdingsContract } from '@simplebank/holdings/contract';

const ALICE = { customerId: 'c-alice', role: 'customer' } as const;

const holdings = (prefix = ''): Read[] => [
  { path: `${prefix}accountId`, type: 'string' },
  { path: `${prefix}asOf`, type: 'string' },
  { path: `${prefix}valuation`, type: 'string' },
  { path: `${prefix}cash.available`, type: 'string' },
  { path: `${prefix}cash.reserved`, type: 'string' },
  { path: `${prefix}positions[].assetId`, type: 'string' },
  { path: `${prefix}positions[].quantity`, type: 'string' },
  { path: `${prefix}positions[].reservedQuantity`, type: 'string' },
  { path: `${prefix}positions[].averageCost`, type: 'string' },
  { path: `${prefix}positions[].price`, type: 'string' },
  { path: `${prefix}positions[].value`, type: 'string' },
  { path: `${prefix}totalValue`, type: 'string' },
];

export default expects(holdingsContract, {
  consumer: 'gateway',
  interactions: [
    {
      description: "GET /v1/accounts/{id}/holdings shows the caller's cash and positions, valued",
      given: 'an account of the caller with a position',
      as: ALICE,
      call: 'getHoldings',
      request: { accountId: 'acc-alice' },
      reads: holdings(),
    },
    {
      description: "GET /v1/accounts/{id}/holdings answers 404 for an account that is not the caller's",
      as: ALICE,
      call: 'getHoldings',
      request: { accountId: 'acc-bob' },
      error: 'not_found',
    },
    {
      description: "GraphQL's currentHoldings loads several accounts' holdings in one call",
      given: 'an account of the caller with a position',
      as: ALICE,
      call: 'getHoldingsOf',
      request: { accountIds: ['acc-alice'] },
      reads: holdings('items[].'),
    },
  ],
});
