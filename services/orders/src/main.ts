/** The orders service in its own process (distributed mode): see runServiceProcess. */
import { runServiceProcess } from '@simplebank/chassis/rabbitmq';
import { ordersService } from './service.ts';

await runServiceProcess(ordersService);
