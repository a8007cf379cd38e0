/** The accounts service in its own process (distributed mode): see runServiceProcess. */
import { runServiceProcess } from '@simplebank/chassis/rabbitmq';
import { accountsService } from './service.ts';

await runServiceProcess(accountsService);
