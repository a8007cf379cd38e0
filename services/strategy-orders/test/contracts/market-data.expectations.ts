/**
 * What strategy-orders reads of market-data (src/saga.ts, step plan): each quote's asset and price,
 * which an investment is sized at.
 */
import { expects } from '@simplebank/chassis/testing';
import { marketDataContract } from '@simplebank/market-data/contract';

export default expects(marketDataContract, {
  consumer: 'strategy-orders',
  interactions: [
    {
      description: 'an investment is sized at the current prices',
      call: 'getPrices',
      request: { assetIds: ['AAPL', 'MSFT'] },
      reads: [
        { path: 'items[].assetId', type: 'string' },
        { path: 'items[].price', type: 'string' },
      ],
    },
  ],
});
