/** Fills open orders older than the fill delay, in full, at market-data's current price, within the limit. */
import type { BaseContext, Worker } from '@simplebank/chassis';
import { marketDataContract } from '@simplebank/market-data/contract';
import { parseMoney } from '@simplebank/money';
import { fillsAt } from './domain/rules.ts';
import { exchangeSettings } from './settings.ts';
import { dueOrders, fillOrder, getSettings } from './store.ts';

const POLL_MS = 50;

export async function fillDueOrders(ctx: BaseContext): Promise<number> {
  const settings = await getSettings(ctx.db, exchangeSettings.value.EXCHANGE_FILL_DELAY_MS);
  if (!settings.open) return 0;
  const due = await dueOrders(ctx.db, settings.fillDelayMs);
  if (due.length === 0) return 0;
  const assetIds = [...new Set(due.map((o) => o.asset_id))];
  const quotes = await ctx.call(marketDataContract, 'getPrices', { assetIds }, { timeoutMs: 2000 });
  const prices = new Map(quotes.items.map((q) => [q.assetId, parseMoney(q.price)]));
  let filled = 0;
  for (const order of due) {
    const price = prices.get(order.asset_id);
    if (price === undefined || !fillsAt(order.side, BigInt(order.limit_price_cents), price)) continue;
    if (await fillOrder(ctx.db, order.id, price)) filled++;
  }
  return filled;
}

export const fillWorker: Worker = {
  name: 'exchange-fills',
  start(ctx) {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let running: Promise<unknown> = Promise.resolve();
    const schedule = () => {
      timer = setTimeout(() => {
        running = fillDueOrders(ctx)
          .catch((err: unknown) => ctx.log.warn({ err }, 'fill round failed'))
          .finally(() => {
            if (!stopped) schedule();
          });
      }, POLL_MS);
    };
    schedule();
    return async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    };
  },
};
