/**
 * What holdings reads of market-data (src/valuation.ts): each quote's asset, price and time; it
 * values positions at them and remembers them as the fallback for when market-data does not answer.
 */
import { expects } from '@simplebank/chassis/testing';
import { marketDataContract } from '@simplebank/market-data/contract';

export default expects(marketDataContract, {
  consumer: 'holdings',
  interactions: [
    {
      description: 'holdings values positions at live prices',
      call: 'getPrices',
      request: { assetIds: ['AAPL', 'MSFT'] },
      reads: [
        { path: 'items[].assetId', type: 'string' },
        { path: 'items[].price', type: 'string' },
        { path: 'items[].at', type: 'string' },
      ],
    },
  ],
});
