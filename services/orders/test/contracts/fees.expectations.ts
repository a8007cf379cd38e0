/**
 * What orders asks of fees: the quote of an order's fee and the schedule version it was quoted by
 * (src/place-order.ts), then, in the place-order saga, the fee charged once the order is placed
 * (insufficient_funds is the order's rejection) and refunded when it ends without a fill. The saga
 * reads nothing of those two answers.
 */
import { expects } from '@simplebank/chassis/testing';
import { feesContract } from '@simplebank/fees/contract';

export default expects(feesContract, {
  consumer: 'orders',
  interactions: [
    {
      description: 'placeOrder quotes the fee at the quote price',
      as: { customerId: 'c-orders', role: 'customer' },
      call: 'quoteFee',
      request: { quantity: '2', price: '107.10' },
      reads: [
        { path: 'fee', type: 'string' },
        { path: 'scheduleVersion', type: 'integer' },
      ],
    },
    {
      description: 'the saga charges the fee',
      given: 'an account with cash',
      call: 'chargeFee',
      request: { orderId: 'o-charged', accountId: 'acc-1', amount: '1.00' },
      reads: [],
    },
    {
      description: 'the saga takes a fee the cash cannot pay as the rejection',
      given: 'an account without cash',
      call: 'chargeFee',
      request: { orderId: 'o-poor', accountId: 'acc-poor', amount: '1.00' },
      error: 'insufficient_funds',
    },
    {
      description: 'the saga refunds the fee of an order that ends without a fill',
      given: 'a fee charged',
      call: 'refundFee',
      request: { orderId: 'o-refunded', accountId: 'acc-1', amount: '1.00' },
      reads: [],
    },
  ],
});
