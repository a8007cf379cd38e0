/** The market-data service in its own process (distributed mode): see runServiceProcess. */
import { runServiceProcess } from '@simplebank/chassis';
import { marketDataService } from './service.ts';

await runServiceProcess(marketDataService);
