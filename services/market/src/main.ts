/** The market service in its own process (distributed mode): see runServiceProcess. */
import { runServiceProcess } from '@simplebank/chassis/rabbitmq';
import { marketService } from './service.ts';

await runServiceProcess(marketService);
