/**
 * What strategy-orders asks of orders: while the invest saga waits for its orders' events, each
 * order as orders has it now, as a safety net (src/saga.ts `askOrders`: id, status, fill price, fee).
 * Not declared here: `placeOrder` with `source: 'strategy'`, which orders accepts only from
 * strategy-orders itself (the envelope's source); the provider's harness calls as a test client, so
 * that interaction is covered by the e2e suite (test/e2e/investments.test.ts) instead.
 */
import { expects } from '@simplebank/chassis/testing';
import { ordersContract } from '@simplebank/orders/contract';

const CUSTOMER = { customerId: 'c-investor', role: 'customer' } as const;

export default expects(ordersContract, {
  consumer: 'strategy-orders',
  interactions: [
    {
      description: "the invest saga asks about an investment's order when its events are late",
      given: 'an order of the caller',
      as: CUSTOMER,
      call: 'getOrder',
      request: { orderId: 'o-1' },
      reads: [
        { path: 'id', type: 'string' },
        { path: 'status', type: 'string' },
        { path: 'fillPrice', type: ['string', 'null'] },
        { path: 'fee', type: 'string' },
      ],
    },
  ],
});
