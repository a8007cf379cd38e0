/**
 * What the simulated exchange reads of market-data (src/fill-worker.ts): each quote's asset and
 * price, which due orders are filled at.
 */
import { expects } from '@simplebank/chassis/testing';
import { marketDataContract } from '@simplebank/market-data/contract';

export default expects(marketDataContract, {
  consumer: 'exchange',
  interactions: [
    {
      description: 'the exchange fills due orders at the current prices',
      call: 'getPrices',
      request: { assetIds: ['AAPL', 'MSFT'] },
      reads: [
        { path: 'items[].assetId', type: 'string' },
        { path: 'items[].price', type: 'string' },
      ],
    },
  ],
});
