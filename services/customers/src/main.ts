/** The customers service in its own process (distributed mode): see runServiceProcess. */
import { runServiceProcess } from '@simplebank/chassis/rabbitmq';
import { customersService } from './service.ts';

await runServiceProcess(customersService);
