/**
 * What orders' place-order saga (src/place-order-saga.ts) asks of the ledger, transactions: it
 * reserves cash for a buy or the position for a sell (and reads the reservation's id, or takes
 * insufficient_funds / insufficient_position as the order's rejection), releases the reservation
 * when the order ends without a fill, and settles the trade on a fill. Every call carries an
 * idempotency key (the verifier gives each a fresh one).
 */
import { expects } from '@simplebank/chassis/testing';
import { transactionsContract } from '@simplebank/transactions/contract';

export default expects(transactionsContract, {
  consumer: 'orders',
  interactions: [
    {
      description: 'a buy reserves quantity × limit price of cash',
      given: 'an account with cash',
      call: 'reserveCash',
      request: { accountId: 'acc-1', amount: '107.10', orderId: 'o-buy' },
      reads: [{ path: 'reservationId', type: 'string' }],
    },
    {
      description: 'a buy beyond the available cash is rejected',
      call: 'reserveCash',
      request: { accountId: 'acc-empty', amount: '107.10', orderId: 'o-poor' },
      error: 'insufficient_funds',
    },
    {
      description: 'a sell reserves the quantity of the position',
      given: 'an account holding ABC',
      call: 'reservePosition',
      request: { accountId: 'acc-1', assetId: 'ABC', quantity: '1', orderId: 'o-sell' },
      reads: [{ path: 'reservationId', type: 'string' }],
    },
    {
      description: 'a sell beyond the position is rejected',
      call: 'reservePosition',
      request: { accountId: 'acc-empty', assetId: 'ABC', quantity: '1', orderId: 'o-short' },
      error: 'insufficient_position',
    },
    {
      description: 'an order that ends without a fill releases its reservation',
      given: 'a cash reservation',
      call: 'releaseReservation',
      request: { reservationId: 'r-1' },
      reads: [],
    },
    {
      description: 'a fill settles the trade against the reservation',
      given: 'a cash reservation',
      call: 'settleTrade',
      request: {
        reservationId: 'r-1',
        orderId: 'o-fill',
        accountId: 'acc-1',
        side: 'buy',
        assetId: 'ABC',
        quantity: '1',
        fillPrice: '101.00',
      },
      reads: [],
    },
  ],
});
