/** The payments service in its own process (distributed mode): see runServiceProcess. */
import { runServiceProcess } from '@simplebank/chassis/rabbitmq';
import { paymentsService } from './service.ts';

await runServiceProcess(paymentsService);
