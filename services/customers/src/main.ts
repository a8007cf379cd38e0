/** The customers service in its own process (distributed mode): see runServiceProcess. */
import { runServiceProcess } from '@simplebank/chassis';
import { customersService } from './service.ts';

await runServiceProcess(customersService);
