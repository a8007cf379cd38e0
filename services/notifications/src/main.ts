/** The notifications service in its own process (distributed mode): see runServiceProcess. */
import { runServiceProcess } from '@simplebank/chassis/rabbitmq';
import { notificationsService } from './service.ts';

await runServiceProcess(notificationsService);
