/**
 * strategies honours what its consumers expect of it (decision 37): every
 * services/<consumer>/test/contracts/strategies.expectations.ts, against the real service, with
 * market-data stubbed at its contract (the prices of the assets it knows). The state creates a
 * strategy and hands the interaction its id.
 */
import { randomUUID } from 'node:crypto';
import { stubService, verifyConsumerExpectations } from '@simplebank/chassis/testing';
import { marketDataContract } from '@simplebank/market-data/contract';
import { strategiesContract } from '../src/contract.ts';
import { strategiesService } from '../src/service.ts';

const KNOWN = new Set(['AAPL', 'MSFT', 'SPY']);
const marketData = (t: Parameters<typeof stubService>[0]) =>
  stubService(t, marketDataContract, {
    getPrices: (req) => ({
      items: (req.assetIds ?? [...KNOWN])
        .filter((id) => KNOWN.has(id))
        .map((assetId) => ({ assetId, price: '100.00', at: new Date().toISOString() })),
    }),
  });

await verifyConsumerExpectations(strategiesService, {
  servicesDir: new URL('../..', import.meta.url),
  stubs: [marketData],
  states: {
    'a strategy': async ({ service }) => {
      const s = await service.callAs({ customerId: 'admin-contract', role: 'admin' })(
        strategiesContract,
        'createStrategy',
        { name: `Contract ${randomUUID().slice(0, 8)}`, assets: [{ assetId: 'SPY', percentage: '100' }] },
        { idempotencyKey: randomUUID() },
      );
      return { request: { strategyId: s.id, strategyIds: [s.id] } };
    },
  },
});
