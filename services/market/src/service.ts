/**
 * market: our gateway to the stock exchange. A job queue in front of it (commands from orders); it
 * places, cancels and follows orders there (told of fills by the exchange's callbacks, with a slow
 * poll as the safety net), reconciles what the exchange reports, and publishes what happened.
 */
import { NotFoundError, defineService } from '@simplebank/chassis';
import { marketHttp } from './callbacks.ts';
import { cancelOrderOnExchange, placeOrderOnExchange } from './commands.ts';
import { marketContract } from './contract.ts';
import { exchangeWorker } from './exchange-worker.ts';
import { marketSettings } from './settings.ts';
import { getJob } from './store.ts';

export { marketSettings } from './settings.ts';

export const marketService = defineService({
  contract: marketContract,
  migrations: new URL('../migrations', import.meta.url),
  settings: [marketSettings],
  rpc: {
    async getExchangeOrder(req, ctx) {
      const job = await getJob(ctx.db, req.orderId);
      if (!job) throw new NotFoundError(`No exchange order for ${req.orderId}`);
      return {
        orderId: job.order_id,
        exchangeOrderId: job.exchange_order_id,
        status: job.status,
        attempts: job.attempts,
      };
    },
  },
  handlers: [placeOrderOnExchange, cancelOrderOnExchange],
  workers: [exchangeWorker],
  /** The exchange's callbacks (callbacks.ts). */
  http: marketHttp,
});
