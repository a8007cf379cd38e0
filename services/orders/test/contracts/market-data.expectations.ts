/**
 * What orders reads of market-data when it takes an order (src/place-order.ts): the asset's price,
 * the quote the limit price and the fee are worked out from; not_found is the order's not_found.
 */
import { expects } from '@simplebank/chassis/testing';
import { marketDataContract } from '@simplebank/market-data/contract';

const CUSTOMER = { customerId: 'c-orders', role: 'customer' } as const;

export default expects(marketDataContract, {
  consumer: 'orders',
  interactions: [
    {
      description: 'placeOrder takes the quote',
      as: CUSTOMER,
      call: 'getAsset',
      request: { assetId: 'ABC' },
      reads: [{ path: 'price', type: 'string' }],
    },
    {
      description: 'placeOrder refuses an asset that is not there',
      as: CUSTOMER,
      call: 'getAsset',
      request: { assetId: 'NOPE' },
      error: 'not_found',
    },
  ],
});
