/** The exchange service in its own process (distributed mode): see runServiceProcess. */
import { runServiceProcess } from '@simplebank/chassis/rabbitmq';
import { exchangeService } from './service.ts';

await runServiceProcess(exchangeService);
