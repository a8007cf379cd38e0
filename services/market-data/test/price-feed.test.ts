/**
 * The lazy price feed: the ticks due since the walk was last applied are walked when prices are
 * read, exactly as if each had run on its timer (the same seeded steps, in the same order).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, startTestService, type TestService } from '@simplebank/chassis/testing';
import { marketDataContract } from '../src/contract.ts';
import { mulberry32 } from '../src/domain/prng.ts';
import { walk } from '../src/domain/walk.ts';

process.env.PRICE_TICK_MS = '1000';
process.env.PRICE_CHANGED_THROTTLE_MS = '0';
process.env.MARKET_DATA_SEED = '7';
// The worker's own timer does not come within the test: only reads apply the walk.
process.env.PRICE_FEED_IDLE_MS = '600000';
const { marketDataService } = await import('../src/service.ts');

describe('the price feed, applied on reads', () => {
  let svc: TestService;
  before(async () => {
    svc = await startTestService(marketDataService);
  });
  after(async () => {
    await svc.stop();
  });
  const db = () => svc.database.db;
  const prices = async () =>
    new Map((await svc.call(marketDataContract, 'getPrices', {})).items.map((q) => [q.assetId, q.price]));
  const walkedTo = async () =>
    (
      await db().query<{ ms: string }>(
        'SELECT (extract(epoch FROM walked_to) * 1000)::bigint::text AS ms FROM price_feed',
      )
    ).rows[0]!.ms;

  it('walks the ticks missed while nobody read, as the timer would have, and publishes the changes', async () => {
    const before = await prices(); // the first read starts the feed: nothing walked yet
    const start = BigInt(await walkedTo());
    // Five ticks (and a bit) pass without a read.
    await db().query("UPDATE price_feed SET walked_to = walked_to - interval '5 seconds'");
    const after = await eventually(async () => {
      const p = await prices();
      return [...p].some(([id, price]) => before.get(id) !== price) ? p : undefined;
    });
    const ticks = Number((BigInt(await walkedTo()) - (start - 5000n)) / 1000n);
    assert.ok(ticks >= 5, `${ticks} ticks`);
    // The same walk, tick by tick, from the same seed.
    const ids = [...before.keys()].sort();
    let expected = ids.map((id) => ({ id, priceCents: BigInt(before.get(id)!.replace('.', '')) }));
    const next = mulberry32(7);
    for (let i = 0; i < ticks; i++) expected = walk(expected, next);
    assert.deepEqual(
      ids.map((id) => after.get(id)),
      expected.map((e) => `${e.priceCents / 100n}.${String(e.priceCents % 100n).padStart(2, '0')}`),
    );
    // Published after the walk, off the read's path: each moved asset once, at its new price.
    const moved = ids.filter((id) => after.get(id) !== before.get(id));
    const published = await eventually(async () => {
      const { rows } = await db().query<{ body: string }>(
        "SELECT body FROM chassis_outbox WHERE destination = 'market-data.PriceChanged.v1' ORDER BY id",
      );
      return rows.length >= moved.length
        ? rows.map((r) => JSON.parse(r.body).data as { assetId: string; price: string })
        : undefined;
    });
    assert.deepEqual(
      published.map((d) => [d.assetId, d.price]),
      moved.map((id) => [id, after.get(id)]),
    );
  });
});
