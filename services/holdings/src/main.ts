/** The holdings service in its own process (distributed mode): see runServiceProcess. */
import { runServiceProcess } from '@simplebank/chassis/rabbitmq';
import { holdingsService } from './service.ts';

await runServiceProcess(holdingsService);
