/**
 * market-data honours what its consumers expect of it (decision 37): every
 * services/<consumer>/test/contracts/market-data.expectations.ts, against the real service (its
 * instruments are seeded: no provider state is needed).
 */
import { verifyConsumerExpectations } from '@simplebank/chassis/testing';
import { marketDataService } from '../src/service.ts';

await verifyConsumerExpectations(marketDataService, { servicesDir: new URL('../..', import.meta.url) });
