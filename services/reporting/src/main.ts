/** The reporting service in its own process (distributed mode): see runServiceProcess. */
import { runServiceProcess } from '@simplebank/chassis/rabbitmq';
import { reportingService } from './service.ts';

await runServiceProcess(reportingService);
