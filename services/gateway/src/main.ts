/** The gateway service in its own process (distributed mode): see runServiceProcess. */
import { runServiceProcess } from '@simplebank/chassis/rabbitmq';
import { gatewayService } from './service.ts';

await runServiceProcess(gatewayService);
