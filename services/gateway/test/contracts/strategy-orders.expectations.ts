/**
 * What the gateway reads of strategy-orders (decision 37): an investment made into the caller's own
 * account (POST /v1/strategies/{id}/investments, 202 with it), one read (GET /v1/investments/{id},
 * and GraphQL's `investment`), 404 for an unknown one, and the caller's list (src/routes/investments.ts
 * passes each through as strategy-orders answers it). Verified against strategy-orders by
 * services/strategy-orders/test/consumer-contracts.test.ts; the gateway's stub (test/stubs.ts) by
 * test/stubs-contracts.test.ts.
 */
import { expects, type Read } from '@simplebank/chassis/testing';
import { strategyOrdersContract } from '@simplebank/strategy-orders/contract';

const ALICE = { customerId: 'c-alice', role: 'customer' } as const;

const investment = (prefix = ''): Read[] => [
  ...[
    'id',
    'strategyId',
    'destinationAccountId',
    'amount',
    'paymentId',
    'status',
    'invested',
    'fees',
    'leftover',
    'createdAt',
    'updatedAt',
  ].map((field) => ({ path: `${prefix}${field}`, type: 'string' as const })),
  { path: `${prefix}orders`, type: 'array' },
  { path: `${prefix}skipped`, type: 'array' },
];

export default expects(strategyOrdersContract, {
  consumer: 'gateway',
  interactions: [
    {
      description: "POST /v1/strategies/{id}/investments invests by card into the caller's account (202 with it)",
      given: 'an account of the caller and a strategy',
      as: ALICE,
      call: 'invest',
      request: {
        strategyId: 's-1',
        destinationAccountId: 'acc-alice',
        amount: '1000.00',
        method: 'card',
        card: { number: '4242424242424242' },
      },
      reads: investment(),
    },
    {
      description: 'GET /v1/investments/{id} shows one of the caller’s investments',
      given: 'an investment of the caller',
      as: ALICE,
      call: 'getInvestment',
      request: { investmentId: 'i-1' },
      reads: investment(),
    },
    {
      description: 'GET /v1/investments/{id} answers 404 for an unknown investment',
      as: ALICE,
      call: 'getInvestment',
      request: { investmentId: 'no-such-investment' },
      error: 'not_found',
    },
    {
      description: "GET /v1/investments lists the caller's investments, a page at a time",
      given: 'an investment of the caller',
      as: ALICE,
      call: 'listInvestments',
      request: {},
      reads: [...investment('items[].'), { path: 'nextCursor', type: ['string', 'null'] }],
    },
  ],
});
