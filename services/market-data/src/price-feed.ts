/**
 * The simulated price feed: a seeded random walk of unpinned prices, one step per PRICE_TICK_MS,
 * published throttled per asset. The walk is applied lazily: when prices are read (getAsset,
 * searchAssets, getPrices) or pinned, the ticks due since it was last applied are walked in one
 * short transaction (the same steps, one draw per unpinned asset per tick, in ticker order), and
 * nothing runs between reads — an idle feed commits nothing per tick. The changes are published
 * after that, off the read's path, in a transaction of their own. So that PriceChanged still flows
 * while nobody reads, the worker applies the walk at least every PRICE_FEED_IDLE_MS. The walk's
 * progress is in the database (price_feed), so instances of market-data share one walk.
 */
import { inTransaction, type BaseContext, type Tx, type Worker } from '@simplebank/chassis';
import { mulberry32, type Prng } from './domain/prng.ts';
import { shouldPublish, walk } from './domain/walk.ts';
import { marketDataSettings } from './settings.ts';
import { claimTicks, lockMoved, lockUnpinned, publishPrice, updatePrices } from './store.ts';

/** After a long stop, at most this many missed ticks are walked (the rest are skipped). */
export const MAX_CATCH_UP_TICKS = 3600;

export class PriceFeed {
  /** When the next tick is due (Date.now() ms), as this process last learnt: before it, reads need nothing. */
  private nextDueAt = 0;
  private applying: Promise<void> | undefined;
  private publishing: Promise<void> | undefined;
  private publishAgain = false;

  constructor(
    private readonly ctx: BaseContext,
    private readonly next: Prng,
    private readonly tickMs: number,
    private readonly throttleMs: number,
  ) {}

  /** Brings prices up to now; one transaction when ticks are due, none otherwise. Concurrent callers share it. */
  current(): Promise<void> {
    if (Date.now() < this.nextDueAt) return Promise.resolve();
    this.applying ??= inTransaction(this.ctx.db, { service: this.ctx.service, cause: this.ctx.cause }, (tx) =>
      this.applyIn(tx),
    ).finally(() => (this.applying = undefined));
    return this.applying;
  }

  /**
   * Walks the ticks due in `tx` (which holds the feed's row until it ends); once it commits, the
   * changes are published. A pin or unpin calls it in its own transaction first, so that the ticks
   * before it are walked with the asset still unpinned (or still pinned).
   */
  async applyIn(tx: Tx): Promise<void> {
    const { ticks, nextInMs } = await claimTicks(tx, this.tickMs, MAX_CATCH_UP_TICKS);
    this.nextDueAt = Date.now() + nextInMs;
    if (ticks === 0) return;
    const rows = await lockUnpinned(tx);
    let moved = rows.map((r) => ({ id: r.id, priceCents: BigInt(r.price_cents) }));
    for (let i = 0; i < ticks; i++) moved = walk(moved, this.next);
    await updatePrices(
      tx,
      moved.filter((m, i) => m.priceCents !== BigInt(rows[i]!.price_cents)),
    );
    tx.afterCommit(() => this.schedulePublish());
  }

  /** Resolves when no publication pass is running or due. */
  async published(): Promise<void> {
    while (this.publishing) await this.publishing;
  }

  /** Publishes in the background (one pass at a time; a request during a pass runs another after it). */
  private schedulePublish(): Promise<void> {
    if (this.publishing) {
      this.publishAgain = true;
      return this.publishing;
    }
    this.publishing = this.publishMoved()
      .catch((err: unknown) => this.ctx.log.warn({ err }, 'publishing prices failed; the next pass publishes them'))
      .finally(() => {
        this.publishing = undefined;
        if (this.publishAgain) {
          this.publishAgain = false;
          void this.schedulePublish();
        }
      });
    return this.publishing;
  }

  /** PriceChanged for each unpinned asset whose price moved since it was last published, as the throttle allows. */
  private async publishMoved(): Promise<void> {
    const { ctx } = this;
    await inTransaction(ctx.db, { service: ctx.service, cause: ctx.cause }, async (tx) => {
      const now = Date.now();
      for (const row of await lockMoved(tx)) {
        const price = BigInt(row.price_cents);
        const published = row.published_price_cents === null ? null : BigInt(row.published_price_cents);
        if (shouldPublish(price, published, row.published_at?.getTime() ?? null, now, this.throttleMs))
          await publishPrice(tx, row.id, price);
      }
    });
  }
}

/** The feed of each market-data database (a process may host market-data more than once, in tests). */
const feeds = new WeakMap<object, PriceFeed>();

/**
 * Brings the prices of this database up to now before a read; nothing when the feed is stopped
 * (PRICE_TICK_MS=0). A failure is logged, not thrown: the read answers the prices as they are.
 */
export async function currentPrices(ctx: Pick<BaseContext, 'db' | 'log'>): Promise<void> {
  await feeds
    .get(ctx.db)
    ?.current()
    .catch((err: unknown) => ctx.log.warn({ err }, 'price feed could not catch up; prices as they were'));
}

/** The feed of this database, if it runs (for a pin's transaction). */
export function feedOf(ctx: Pick<BaseContext, 'db'>): PriceFeed | undefined {
  return feeds.get(ctx.db);
}

export const priceFeed: Worker = {
  name: 'price-feed',
  start(ctx) {
    const { PRICE_TICK_MS, MARKET_DATA_SEED, PRICE_CHANGED_THROTTLE_MS, PRICE_FEED_IDLE_MS } = marketDataSettings.value;
    if (PRICE_TICK_MS === 0) return async () => {};
    const feed = new PriceFeed(ctx, mulberry32(MARKET_DATA_SEED), PRICE_TICK_MS, PRICE_CHANGED_THROTTLE_MS);
    feeds.set(ctx.db, feed);
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let running: Promise<void> = Promise.resolve();
    const schedule = () => {
      timer = setTimeout(
        () => {
          // Walked ticks are published after (a price a throttle held back goes with the next pass).
          running = feed
            .current()
            .catch((err: unknown) => ctx.log.warn({ err }, 'price feed failed'))
            .finally(() => {
              if (!stopped) schedule();
            });
        },
        Math.max(PRICE_TICK_MS, PRICE_FEED_IDLE_MS),
      );
    };
    schedule();
    return async () => {
      stopped = true;
      clearTimeout(timer);
      feeds.delete(ctx.db);
      await running;
      await feed.published();
    };
  },
};
