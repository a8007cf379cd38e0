/** The holdings service in its own process (distributed mode): see runServiceProcess. */
import { runServiceProcess } from '@simplebank/chassis';
import { holdingsService } from './service.ts';

await runServiceProcess(holdingsService);
