import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AppError } from '@simplebank/chassis';
import { eventually, startTestService, type TestService } from '@simplebank/chassis/testing';
import { marketDataContract } from '../src/contract.ts';

// A fast feed for this file (each test file runs in its own process).
process.env.PRICE_TICK_MS = '20';
process.env.PRICE_CHANGED_THROTTLE_MS = '0';
// The walk is applied on reads; with none, the worker applies it this often (here: every tick).
process.env.PRICE_FEED_IDLE_MS = '20';
const { marketDataService } = await import('../src/service.ts');

const ADMIN = { customerId: 'admin-1', role: 'admin' } as const;
const CUSTOMER = { customerId: 'c-1', role: 'customer' } as const;

async function published(svc: TestService, assetId: string): Promise<string[]> {
  const { rows } = await svc.database.db.query<{ body: string }>(
    "SELECT body FROM chassis_outbox WHERE destination = 'market-data.PriceChanged.v1' ORDER BY id",
  );
  return rows
    .map((r) => JSON.parse(r.body).data as { assetId: string; price: string })
    .filter((d) => d.assetId === assetId)
    .map((d) => d.price);
}

describe('market-data', () => {
  let svc: TestService;
  before(async () => {
    svc = await startTestService(marketDataService);
  });
  after(async () => {
    await svc.stop();
  });

  it('starts with at least 20 instruments, including funds and ETFs, priced with two decimals', async () => {
    const all = await svc.call(marketDataContract, 'searchAssets', { limit: 200 });
    assert.ok(all.items.length >= 20, `only ${all.items.length} instruments`);
    assert.ok(all.items.filter((a) => a.type === 'fund').length >= 2);
    assert.ok(all.items.filter((a) => a.type === 'etf').length >= 2);
    for (const ticker of ['BHP', 'GOOGL', 'ABC', 'AAPL', 'MSFT', 'AMZN', 'TSLA', 'VOD'])
      assert.ok(
        all.items.some((a) => a.id === ticker),
        ticker,
      );
    for (const a of all.items) {
      assert.match(a.price, /^\d+\.\d{2}$/);
      assert.equal(a.currency, 'USD');
    }
  });

  it('searches by ticker and by part of the name, case-insensitive, and by type', async () => {
    const byTicker = await svc.call(marketDataContract, 'searchAssets', { q: 'googl' });
    assert.deepEqual(
      byTicker.items.map((a) => a.id),
      ['GOOGL'],
    );
    const byName = await svc.call(marketDataContract, 'searchAssets', { q: 'ALPHA' });
    assert.deepEqual(
      byName.items.map((a) => a.id),
      ['GOOGL'],
    );
    const company = await svc.call(marketDataContract, 'searchAssets', { q: 'abc comp' });
    assert.deepEqual(
      company.items.map((a) => a.id),
      ['ABC'],
    );
    const etfs = await svc.call(marketDataContract, 'searchAssets', { type: 'etf' });
    assert.ok(etfs.items.length >= 2);
    assert.ok(etfs.items.every((a) => a.type === 'etf'));
    const none = await svc.call(marketDataContract, 'searchAssets', { q: 'vanguard', type: 'stock' });
    assert.deepEqual(none.items, []);
  });

  it('pages through the instruments with a cursor, each once', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await svc.call(marketDataContract, 'searchAssets', { limit: 7, ...(cursor ? { cursor } : {}) });
      assert.ok(page.items.length <= 7);
      seen.push(...page.items.map((a) => a.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const all = await svc.call(marketDataContract, 'searchAssets', { limit: 200 });
    assert.deepEqual(
      seen,
      all.items.map((a) => a.id),
    );
    assert.equal(new Set(seen).size, seen.length);
  });

  it('answers getAsset, not_found for an unknown one, and prices of chosen assets', async () => {
    const bhp = await svc.call(marketDataContract, 'getAsset', { assetId: 'BHP' });
    assert.equal(bhp.name, 'BHP Group');
    await assert.rejects(
      svc.call(marketDataContract, 'getAsset', { assetId: 'NOPE' }),
      (e: unknown) => e instanceof AppError && e.code === 'not_found',
    );
    const prices = await svc.call(marketDataContract, 'getPrices', { assetIds: ['AAPL', 'VOD', 'NOPE'] });
    assert.deepEqual(prices.items.map((q) => q.assetId).sort(), ['AAPL', 'VOD']);
    const all = await svc.call(marketDataContract, 'getPrices', {});
    assert.ok(all.items.length >= 20);
    const batch = await svc.call(marketDataContract, 'getAssets', { assetIds: ['VOD', 'BHP', 'NOPE', 'BHP'] });
    assert.deepEqual(
      batch.items.map((a) => [a.id, a.name]),
      [
        ['BHP', 'BHP Group'],
        ['VOD', (await svc.call(marketDataContract, 'getAsset', { assetId: 'VOD' })).name],
      ],
    );
    assert.deepEqual((await svc.call(marketDataContract, 'getAssets', { assetIds: [] })).items, []);
  });

  it('moves prices on the timer and publishes PriceChanged', async () => {
    const first = (await svc.call(marketDataContract, 'getAsset', { assetId: 'MSFT' })).price;
    await eventually(
      async () => (await svc.call(marketDataContract, 'getAsset', { assetId: 'MSFT' })).price !== first,
      { message: 'MSFT never moved' },
    );
    await eventually(async () => (await published(svc, 'MSFT')).length >= 2);
  });

  it('a pinned price stays fixed and is published; unpinned, it moves again', async () => {
    const pinned = await svc.callAs(ADMIN)(marketDataContract, 'pinPrice', { assetId: 'ABC', price: '12.34' });
    assert.equal(pinned.price, '12.34');
    assert.equal((await published(svc, 'ABC')).at(-1), '12.34');
    // Ticks go on (another asset moves several times) while ABC stays at the pinned price.
    const kosBefore = (await published(svc, 'KO')).length;
    await eventually(async () => (await published(svc, 'KO')).length >= kosBefore + 5);
    assert.equal((await svc.call(marketDataContract, 'getAsset', { assetId: 'ABC' })).price, '12.34');
    assert.equal((await svc.call(marketDataContract, 'getPrices', { assetIds: ['ABC'] })).items[0]!.price, '12.34');

    await svc.callAs(ADMIN)(marketDataContract, 'unpinPrice', { assetId: 'ABC' });
    await eventually(
      async () => (await svc.call(marketDataContract, 'getAsset', { assetId: 'ABC' })).price !== '12.34',
      { message: 'ABC never moved after unpin' },
    );
  });

  it('only an admin (or the system) can pin; an unknown asset is not_found; a zero price is refused', async () => {
    await assert.rejects(
      svc.callAs(CUSTOMER)(marketDataContract, 'pinPrice', { assetId: 'VOD', price: '1.00' }),
      (e: unknown) => e instanceof AppError && e.status === 403,
    );
    await assert.rejects(
      svc.callAs(CUSTOMER)(marketDataContract, 'unpinPrice', { assetId: 'VOD' }),
      (e: unknown) => e instanceof AppError && e.status === 403,
    );
    assert.notEqual((await svc.call(marketDataContract, 'getAsset', { assetId: 'VOD' })).price, '1.00');
    await assert.rejects(
      svc.callAs(ADMIN)(marketDataContract, 'pinPrice', { assetId: 'NOPE', price: '1.00' }),
      (e: unknown) => e instanceof AppError && e.code === 'not_found',
    );
    await assert.rejects(
      svc.callAs(ADMIN)(marketDataContract, 'pinPrice', { assetId: 'VOD', price: '0.00' }),
      (e: unknown) => e instanceof AppError && e.status === 400,
    );
  });

  it('refuses a price over the limit on prices (1000000.00) with validation_failed on /price; the limit itself is taken', async () => {
    const before = (await svc.call(marketDataContract, 'getAsset', { assetId: 'BHP' })).price;
    for (const price of ['999999999999999.99', '1000000.01']) {
      await assert.rejects(
        svc.callAs(ADMIN)(marketDataContract, 'pinPrice', { assetId: 'BHP', price }),
        (e: unknown) => {
          assert.ok(e instanceof AppError && e.code === 'validation_failed' && e.status === 400, String(e));
          assert.deepEqual(
            e.errors?.map((x) => x.path),
            ['/price'],
          );
          return true;
        },
      );
    }
    assert.notEqual((await svc.call(marketDataContract, 'getAsset', { assetId: 'BHP' })).price, '999999999999999.99');
    assert.ok(before);
    const pinned = await svc.callAs(ADMIN)(marketDataContract, 'pinPrice', { assetId: 'BHP', price: '1000000.00' });
    assert.equal(pinned.price, '1000000.00');
    await svc.callAs(ADMIN)(marketDataContract, 'unpinPrice', { assetId: 'BHP' });
  });
  it('answers a price history downsampled to at most 200 points, oldest first, each span giving its last price', async () => {
    // 600 prices a second apart in a past period the live feed does not touch: 100.00, 100.01, …
    await svc.database.db.query(
      `INSERT INTO price_history (asset_id, price_cents, at)
       SELECT 'KO', 10000 + i, timestamptz '2020-01-01T00:00:00Z' + i * interval '1 second' FROM generate_series(0, 599) AS i`,
    );
    const period = { from: '2020-01-01T00:00:00.000Z', to: '2020-01-01T00:10:00.000Z' };
    const history = await svc.call(marketDataContract, 'getPriceHistory', { assetId: 'KO', ...period });
    assert.equal(history.assetId, 'KO');
    assert.deepEqual([history.from, history.to], [period.from, period.to]);
    assert.ok(history.points.length <= 200 && history.points.length >= 150, `${history.points.length} points`);
    assert.deepEqual(
      history.points.map((p) => p.at),
      [...history.points.map((p) => p.at)].sort(),
    );
    assert.equal(history.points.at(-1)!.price, '105.99');
    for (const p of history.points) assert.match(p.price, /^\d+\.\d{2}$/);

    const few = await svc.call(marketDataContract, 'getPriceHistory', { assetId: 'KO', ...period, maxPoints: 10 });
    assert.equal(few.points.length, 10);
    assert.deepEqual(few.points.map((p) => p.price).slice(-2), ['105.39', '105.99']);
    const inner = await svc.call(marketDataContract, 'getPriceHistory', {
      assetId: 'KO',
      from: '2020-01-01T00:00:10Z',
      to: '2020-01-01T00:00:12Z',
    });
    assert.deepEqual(
      inner.points.map((p) => p.price),
      ['100.10', '100.11', '100.12'],
    );
  });

  it('refuses a price history of an unknown asset (not_found) and a period that is reversed or longer than 366 days', async () => {
    await assert.rejects(
      svc.call(marketDataContract, 'getPriceHistory', { assetId: 'NOPE' }),
      (e: unknown) => e instanceof AppError && e.code === 'not_found',
    );
    for (const period of [
      { from: '2020-01-02T00:00:00Z', to: '2020-01-01T00:00:00Z' },
      { from: '2018-01-01T00:00:00Z', to: '2020-01-01T00:00:00Z' },
    ]) {
      await assert.rejects(
        svc.call(marketDataContract, 'getPriceHistory', { assetId: 'KO', ...period }),
        (e: unknown) => e instanceof AppError && e.code === 'validation_failed' && e.status === 400,
      );
    }
    // By default, the last hour: the live feed's prices.
    // By default, the hour up to now: the live feed's prices.
    const recent = await eventually(async () => {
      const h = await svc.call(marketDataContract, 'getPriceHistory', { assetId: 'MSFT' });
      return h.points.length >= 1 && h;
    });
    assert.equal(Date.parse(recent.to) - Date.parse(recent.from), 3_600_000);
  });
});
