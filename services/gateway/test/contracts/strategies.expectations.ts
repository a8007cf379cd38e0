/**
 * What the gateway reads of strategies (decision 37): an admin creates one (POST /v1/admin/strategies,
 * 422 when the percentages do not sum to 100), anyone reads one or the list (src/routes/strategies.ts:
 * shown as strategies answers), and GraphQL loads several in one call. Verified against strategies by
 * services/strategies/test/consumer-contracts.test.ts; the gateway's stubs (test/stubs.ts) by
 * test/stubs-contracts.test.ts.
 */
import { expects, type Read } from '@simplebank/chassis/testing';
import { strategiesContract } from '@simplebank/strategies/contract';

const ALICE = { customerId: 'c-alice', role: 'customer' } as const;
const ADMIN = { customerId: 'c-admin', role: 'admin' } as const;

const strategy = (prefix = ''): Read[] => [
  { path: `${prefix}id`, type: 'string' },
  { path: `${prefix}name`, type: 'string' },
  { path: `${prefix}assets[].assetId`, type: 'string' },
  { path: `${prefix}assets[].percentage`, type: 'string' },
  { path: `${prefix}createdById`, type: 'string' },
  { path: `${prefix}createdAt`, type: 'string' },
];

export default expects(strategiesContract, {
  consumer: 'gateway',
  interactions: [
    {
      description: 'an admin creates a strategy (201 with it)',
      as: ADMIN,
      call: 'createStrategy',
      request: {
        name: 'Balanced',
        assets: [
          { assetId: 'AAPL', percentage: '60' },
          { assetId: 'MSFT', percentage: '40' },
        ],
      },
      reads: strategy(),
    },
    {
      description: 'an admin is told the percentages must sum to 100 (422)',
      as: ADMIN,
      call: 'createStrategy',
      request: { name: 'Short', assets: [{ assetId: 'AAPL', percentage: '60' }] },
      error: 'allocations_must_sum_to_100',
    },
    {
      description: 'GET /v1/strategies/{id} shows one',
      given: 'a strategy',
      as: ALICE,
      call: 'getStrategy',
      request: { strategyId: 's-1' },
      reads: strategy(),
    },
    {
      description: 'GET /v1/strategies/{id} answers 404 for an unknown one',
      as: ALICE,
      call: 'getStrategy',
      request: { strategyId: 'no-such-strategy' },
      error: 'not_found',
    },
    {
      description: 'GET /v1/strategies lists them newest first, page by page',
      given: 'a strategy',
      as: ALICE,
      call: 'listStrategies',
      request: { limit: 10 },
      reads: [...strategy('items[].'), { path: 'nextCursor', type: ['string', 'null'] }],
    },
    {
      description: 'GraphQL loads strategies in batches',
      given: 'a strategy',
      as: ALICE,
      call: 'getStrategies',
      request: { strategyIds: ['s-1'] },
      reads: strategy('items[].'),
    },
  ],
});
