/**
 * What strategies reads of market-data (src/service.ts `requireKnownAssets`): which assets have a
 * quote; an asset of a strategy's allocations without one is unknown (400).
 */
import { expects } from '@simplebank/chassis/testing';
import { marketDataContract } from '@simplebank/market-data/contract';

export default expects(marketDataContract, {
  consumer: 'strategies',
  interactions: [
    {
      description: "a strategy's assets must be ones market-data quotes",
      call: 'getPrices',
      request: { assetIds: ['AAPL', 'MSFT'] },
      reads: [{ path: 'items[].assetId', type: 'string' }],
    },
  ],
});
