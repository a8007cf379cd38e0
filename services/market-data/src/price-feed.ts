/** The simulated price feed: a seeded random walk of unpinned prices, published throttled per asset. */
import { inTransaction, type BaseContext, type Worker } from '@simplebank/chassis';
import { mulberry32, type Prng } from './domain/prng.ts';
import { shouldPublish, walk } from './domain/walk.ts';
import { marketDataSettings } from './settings.ts';
import { lockUnpinned, publishPrice, updatePrices } from './store.ts';

/** One tick: move every unpinned price one step and publish the changes the throttle lets through. */
export async function tick(ctx: BaseContext, next: Prng, throttleMs: number): Promise<void> {
  await inTransaction(ctx.db, { service: ctx.service, cause: ctx.cause }, async (tx) => {
    const rows = await lockUnpinned(tx);
    const moved = walk(rows.map((r) => ({ id: r.id, priceCents: BigInt(r.price_cents) })), next);
    await updatePrices(tx, moved.filter((m, i) => m.priceCents !== BigInt(rows[i]!.price_cents)));
    const now = Date.now();
    for (const [i, m] of moved.entries()) {
      const row = rows[i]!;
      const published = row.published_price_cents === null ? null : BigInt(row.published_price_cents);
      if (shouldPublish(m.priceCents, published, row.published_at?.getTime() ?? null, now, throttleMs)) await publishPrice(tx, m.id, m.priceCents);
    }
  });
}

export const priceFeed: Worker = {
  name: 'price-feed',
  start(ctx) {
    const { PRICE_TICK_MS, MARKET_DATA_SEED, PRICE_CHANGED_THROTTLE_MS } = marketDataSettings.value;
    if (PRICE_TICK_MS === 0) return async () => {};
    const next = mulberry32(MARKET_DATA_SEED);
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let running: Promise<void> = Promise.resolve();
    const schedule = () => {
      timer = setTimeout(() => {
        running = tick(ctx, next, PRICE_CHANGED_THROTTLE_MS)
          .catch((err: unknown) => ctx.log.warn({ err }, 'price tick failed'))
          .finally(() => {
            if (!stopped) schedule();
          });
      }, PRICE_TICK_MS);
    };
    schedule();
    return async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    };
  },
};
