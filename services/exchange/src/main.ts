/** The exchange service in its own process (distributed mode): see runServiceProcess. */
import { runServiceProcess } from '@simplebank/chassis';
import { exchangeService } from './service.ts';

await runServiceProcess(exchangeService);
