/** The strategies service in its own process (distributed mode): see runServiceProcess. */
import { runServiceProcess } from '@simplebank/chassis/rabbitmq';
import { strategiesService } from './service.ts';

await runServiceProcess(strategiesService);
