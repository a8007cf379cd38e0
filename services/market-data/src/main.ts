/** The market-data service in its own process (distributed mode): see runServiceProcess. */
import { runServiceProcess } from '@simplebank/chassis/rabbitmq';
import { marketDataService } from './service.ts';

await runServiceProcess(marketDataService);
