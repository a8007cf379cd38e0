/**
 * exchange: a simulated third-party stock exchange with its own HTTP API (no RPC, no events). It
 * fills orders at market-data's current price after a delay, within the limit, and can be told to
 * be closed, slow or failing.
 */
import { defineService } from '@simplebank/chassis';
import { exchangeContract } from './contract.ts';
import { fillWorker } from './fill-worker.ts';
import { exchangeHttp } from './http.ts';
import { exchangeSettings } from './settings.ts';

export { exchangeSettings } from './settings.ts';

export const exchangeService = defineService({
  contract: exchangeContract,
  migrations: new URL('../migrations', import.meta.url),
  settings: [exchangeSettings],
  rpc: {},
  http: exchangeHttp,
  workers: [fillWorker],
});
