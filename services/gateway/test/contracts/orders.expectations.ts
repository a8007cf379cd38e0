/**
 * What the gateway reads of orders (decision 37): a market order placed on the caller's account
 * (POST /v1/orders, 202 with it), one read, the caller's list, a cancel (src/routes/orders.ts: the
 * order passed through as orders answers it), and GraphQL's first page of orders per account in one
 * call (src/graphql/loaders.ts). Verified against orders by services/orders/test/consumer-contracts.test.ts;
 * the gateway's stub (test/stubs.ts) by test/stubs-contracts.test.ts.
 */
import { expects, type Read } from '@simplebank/chassis/testing';
import { ordersContract } from '@simplebank/orders/contract';

const ALICE = { customerId: 'c-alice', role: 'customer' } as const;

const order = (prefix = ''): Read[] => [
  ...['id', 'accountId', 'assetId', 'side', 'quantity', 'type', 'status', 'quotePrice', 'limitPrice', 'fee'].map(
    (field) => ({ path: `${prefix}${field}`, type: 'string' as const }),
  ),
  { path: `${prefix}fillPrice`, type: ['string', 'null'] },
  { path: `${prefix}reason`, type: ['string', 'null'] },
  { path: `${prefix}createdAt`, type: 'string' },
  { path: `${prefix}updatedAt`, type: 'string' },
  { path: `${prefix}history[].status`, type: 'string' },
  { path: `${prefix}history[].at`, type: 'string' },
  { path: `${prefix}source`, type: 'string' },
];

export default expects(ordersContract, {
  consumer: 'gateway',
  interactions: [
    {
      description: "POST /v1/orders places a market buy on the caller's account (202 with the order)",
      given: 'an open account of the caller with cash',
      as: ALICE,
      call: 'placeOrder',
      request: { accountId: 'acc-alice', assetId: 'ABC', side: 'buy', quantity: '1' },
      reads: order(),
    },
    {
      description: 'GET /v1/orders/{id} shows one of the caller’s orders',
      given: 'an order of the caller',
      as: ALICE,
      call: 'getOrder',
      request: { orderId: 'o-1' },
      reads: order(),
    },
    {
      description: 'GET /v1/orders/{id} answers 404 for an unknown order',
      as: ALICE,
      call: 'getOrder',
      request: { orderId: 'no-such-order' },
      error: 'not_found',
    },
    {
      description: "GET /v1/orders?accountId= lists the caller's orders of an account, a page at a time",
      given: 'an order of the caller',
      as: ALICE,
      call: 'listOrders',
      request: { accountId: 'acc-alice' },
      reads: [...order('items[].'), { path: 'nextCursor', type: ['string', 'null'] }],
    },
    {
      description: 'POST /v1/orders/{id}/cancel answers the order being canceled',
      given: 'an order of the caller',
      as: ALICE,
      call: 'cancelOrder',
      request: { orderId: 'o-1' },
      reads: order(),
    },
    {
      description: "GraphQL's orders load the first page of several accounts in one call",
      given: 'an order of the caller',
      as: ALICE,
      call: 'listOrdersOf',
      request: { accountIds: ['acc-alice'], limit: 10 },
      reads: [
        { path: 'items[].accountId', type: 'string' },
        ...order('items[].items[].'),
        { path: 'items[].nextCursor', type: ['string', 'null'] },
      ],
    },
  ],
});
