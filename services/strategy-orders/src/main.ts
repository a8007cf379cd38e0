/** The strategy-orders service in its own process (distributed mode): see runServiceProcess. */
import { runServiceProcess } from '@simplebank/chassis/rabbitmq';
import { strategyOrdersService } from './service.ts';

await runServiceProcess(strategyOrdersService);
