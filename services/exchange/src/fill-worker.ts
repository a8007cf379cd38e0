/**
 * Fills open orders once they are due (`fillDelayMs` after placement), in full, at market-data's
 * current price, within the limit. It does not poll: it sleeps until the next open order is due,
 * and is woken by a placement or a settings change (wake.ts); closed, or with nothing open, it
 * sleeps until woken. Due orders it cannot fill yet (price outside the limit, market-data not
 * answering) are looked at again with back-off. Each fill is reported to the client (callbacks.ts).
 * After a restart the first round finds every open order in the database: nothing is lost.
 */
import type { BaseContext, Worker } from '@simplebank/chassis';
import { marketDataContract } from '@simplebank/market-data/contract';
import { parseMoney } from '@simplebank/money';
import { notifyClient } from './callbacks.ts';
import { fillsAt } from './domain/rules.ts';
import { exchangeSettings } from './settings.ts';
import { fillOrder, getSettings, openOrders } from './store.ts';
import { onFillWake } from './wake.ts';

const BATCH = 200;
/** Back-off of due orders that could not be filled: from RECHECK.baseMs, doubled up to RECHECK.capMs. */
const RECHECK = { baseMs: 100, capMs: 2000 };

export interface FillRound {
  filled: number;
  /** Due orders left open (price outside the limit, or no price). */
  stuck: number;
  /** When the next open order comes due (ms from now); undefined when none is waiting or closed. */
  nextDueInMs: number | undefined;
}

/** One round: fills what is due and says when the next order will be. */
export async function fillDueOrders(ctx: BaseContext): Promise<FillRound> {
  const settings = await getSettings(ctx.db, exchangeSettings.value.EXCHANGE_FILL_DELAY_MS);
  if (!settings.open) return { filled: 0, stuck: 0, nextDueInMs: undefined };
  const open = await openOrders(ctx.db, settings.fillDelayMs, BATCH);
  const due = open.filter((o) => o.due_in_ms === 0);
  const waiting = open.find((o) => o.due_in_ms > 0)?.due_in_ms;
  if (due.length === 0) return { filled: 0, stuck: 0, nextDueInMs: waiting };
  let prices = new Map<string, bigint>();
  try {
    const quotes = await ctx.call(
      marketDataContract,
      'getPrices',
      { assetIds: [...new Set(due.map((o) => o.asset_id))] },
      { timeoutMs: 2000 },
    );
    prices = new Map(quotes.items.map((q) => [q.assetId, parseMoney(q.price)]));
  } catch (err) {
    ctx.log.warn({ err }, 'market-data unavailable: due orders wait');
  }
  let filled = 0;
  for (const order of due) {
    const price = prices.get(order.asset_id);
    if (price === undefined || !fillsAt(order.side, BigInt(order.limit_price_cents), price)) continue;
    const row = await fillOrder(ctx.db, order.id, price);
    if (!row) continue; // canceled meanwhile
    filled++;
    notifyClient(row, ctx.log);
  }
  // A full batch of due orders that made progress: there may be more behind it, at once.
  return { filled, stuck: due.length - filled, nextDueInMs: due.length === BATCH && filled > 0 ? 0 : waiting };
}

export const fillWorker: Worker = {
  name: 'exchange-fills',
  start(ctx) {
    let stopped = false;
    // A wake during a round is kept: the round may have read the book before the new order.
    let woken = false;
    let wakeUp: (() => void) | undefined;
    let recheckMs = RECHECK.baseMs;
    const unsubscribe = onFillWake(() => {
      woken = true;
      wakeUp?.();
    });
    const loop = async () => {
      while (!stopped) {
        woken = false;
        let sleepMs: number | undefined;
        try {
          const round = await fillDueOrders(ctx);
          if (round.stuck > 0) {
            sleepMs = Math.min(round.nextDueInMs ?? Infinity, recheckMs);
            recheckMs = Math.min(recheckMs * 2, RECHECK.capMs);
          } else {
            sleepMs = round.nextDueInMs;
            recheckMs = RECHECK.baseMs;
          }
        } catch (err) {
          ctx.log.warn({ err }, 'fill round failed');
          sleepMs = recheckMs;
          recheckMs = Math.min(recheckMs * 2, RECHECK.capMs);
        }
        if (stopped || woken) continue;
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          wakeUp = resolve;
          if (sleepMs !== undefined) timer = setTimeout(resolve, sleepMs);
        });
        wakeUp = undefined;
        clearTimeout(timer);
      }
    };
    const running = loop();
    return async () => {
      stopped = true;
      unsubscribe();
      wakeUp?.();
      await running;
    };
  },
};
