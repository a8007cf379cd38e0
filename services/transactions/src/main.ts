/** The transactions service in its own process (distributed mode): see runServiceProcess. */
import { runServiceProcess } from '@simplebank/chassis/rabbitmq';
import { transactionsService } from './service.ts';

await runServiceProcess(transactionsService);
