/** The fees service in its own process (distributed mode): see runServiceProcess. */
import { runServiceProcess } from '@simplebank/chassis/rabbitmq';
import { feesService } from './service.ts';

await runServiceProcess(feesService);
