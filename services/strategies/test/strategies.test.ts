/** strategies against real PostgreSQL, market-data stubbed at its contract. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { AppError } from '@simplebank/chassis';
import { startTestService, stubService, type TestService } from '@simplebank/chassis/testing';
import { marketDataContract } from '@simplebank/market-data/contract';
import { strategiesContract } from '../src/contract.ts';
import { strategiesService } from '../src/service.ts';

const KNOWN = new Set(['AAPL', 'MSFT', 'SPY', 'QQQ', 'VTSAX']);
const NOW = '2026-11-22T10:15:30.123Z';

const admin = { customerId: 'admin-1', role: 'admin' as const };
const customer = { customerId: 'c-1', role: 'customer' as const };

const refused = (status: number, code: string) => (e: unknown) => {
  assert.ok(e instanceof AppError, String(e));
  assert.equal(e.code, code, e.message);
  assert.equal(e.status, status);
  return true;
};

describe('strategies', () => {
  let svc: TestService;
  let keys = 0;
  const key = () => `k-${++keys}`;
  const create = (
    body: { name: string; assets: Array<{ assetId: string; percentage: string }> },
    who: { customerId: string; role: 'admin' | 'customer' } = admin,
    idempotencyKey = key(),
  ) => svc.callAs(who)(strategiesContract, 'createStrategy', body, { idempotencyKey });
  const outbox = async () =>
    (
      await svc.database.db.query<{ body: string }>('SELECT body FROM chassis_outbox WHERE destination = $1', [
        'strategies.StrategyCreated.v1',
      ])
    ).rows.map((r) => JSON.parse(r.body) as { data: Record<string, unknown>; key?: string });

  before(async () => {
    svc = await startTestService(strategiesService, {
      stubs: [
        (t) =>
          stubService(t, marketDataContract, {
            getPrices: (req) => ({
              items: (req.assetIds ?? [...KNOWN])
                .filter((id) => KNOWN.has(id))
                .map((assetId) => ({ assetId, price: '100.00', at: NOW })),
            }),
          }),
      ],
    });
  });
  after(async () => {
    await svc?.stop();
  });

  it('creates a strategy: percentages exact with two decimals, in the order given, created by the admin; reads it back', async () => {
    const s = await create({
      name: 'Thirds',
      assets: [
        { assetId: 'AAPL', percentage: '33.33' },
        { assetId: 'MSFT', percentage: '33.33' },
        { assetId: 'SPY', percentage: '33.34' },
      ],
    });
    assert.match(s.id, /^[0-9a-f-]{36}$/);
    assert.equal(s.name, 'Thirds');
    assert.deepEqual(s.assets, [
      { assetId: 'AAPL', percentage: '33.33' },
      { assetId: 'MSFT', percentage: '33.33' },
      { assetId: 'SPY', percentage: '33.34' },
    ]);
    assert.equal(s.createdById, 'admin-1');
    assert.ok(!Number.isNaN(Date.parse(s.createdAt)));
    assert.deepEqual(await svc.callAs(customer)(strategiesContract, 'getStrategy', { strategyId: s.id }), s);
    const whole = await create({ name: 'All in', assets: [{ assetId: 'QQQ', percentage: '100' }] });
    assert.deepEqual(whole.assets, [{ assetId: 'QQQ', percentage: '100.00' }]);
  });

  it('gets several strategies in one call, in the order asked, null where there is none', async () => {
    const a = await create({ name: 'A', assets: [{ assetId: 'AAPL', percentage: '100' }] });
    const b = await create({
      name: 'B',
      assets: [
        { assetId: 'MSFT', percentage: '60' },
        { assetId: 'SPY', percentage: '40' },
      ],
    });
    const { items } = await svc.callAs(customer)(strategiesContract, 'getStrategies', {
      strategyIds: [b.id, randomUUID(), 'nonsense', a.id],
    });
    assert.deepEqual(items, [b, null, null, a]);
  });

  it('writes StrategyCreated to the outbox with the strategy, once per strategy, keyed by it', async () => {
    const s = await create({
      name: 'Growth',
      assets: [
        { assetId: 'QQQ', percentage: '70' },
        { assetId: 'VTSAX', percentage: '30' },
      ],
    });
    const events = (await outbox()).filter((e) => e.data.strategyId === s.id);
    assert.equal(events.length, 1);
    assert.deepEqual(events[0]!.data, {
      strategyId: s.id,
      name: 'Growth',
      assets: [
        { assetId: 'QQQ', percentage: '70.00' },
        { assetId: 'VTSAX', percentage: '30.00' },
      ],
      createdById: 'admin-1',
      createdAt: s.createdAt,
    });
    assert.equal(events[0]!.key, s.id);
  });

  it('answers a repeated request with the same key once: one strategy, one event', async () => {
    const body = { name: 'Retried', assets: [{ assetId: 'SPY', percentage: '100' }] };
    const first = await create(body, admin, 'retry-1');
    const again = await create(body, admin, 'retry-1');
    assert.deepEqual(again, first);
    assert.equal((await outbox()).filter((e) => e.data.name === 'Retried').length, 1);
  });

  it('refuses allocations that do not sum to 100 (422), saying the sum; nothing is stored or published', async () => {
    const before = (await outbox()).length;
    await assert.rejects(
      create({
        name: 'Short',
        assets: [
          { assetId: 'AAPL', percentage: '33.33' },
          { assetId: 'MSFT', percentage: '33.33' },
          { assetId: 'SPY', percentage: '33.33' },
        ],
      }),
      (e: unknown) => {
        refused(422, 'allocations_must_sum_to_100')(e);
        assert.deepEqual((e as AppError).errors, [
          { path: '/assets', message: 'percentages sum to 99.99; they must sum to exactly 100' },
        ]);
        return true;
      },
    );
    assert.equal((await outbox()).length, before);
    const { rowCount } = await svc.database.db.query("SELECT 1 FROM strategies WHERE name = 'Short'");
    assert.equal(rowCount, 0);
  });

  it('refuses malformed allocations (400), each problem naming its field', async () => {
    await assert.rejects(
      create({
        name: 'Precise',
        assets: [
          { assetId: 'AAPL', percentage: '33.333' },
          { assetId: 'MSFT', percentage: '66.667' },
        ],
      }),
      (e: unknown) => {
        refused(400, 'validation_failed')(e);
        assert.deepEqual(
          (e as AppError).errors?.map((f) => f.path),
          ['/assets/0/percentage', '/assets/1/percentage'],
        );
        return true;
      },
    );
    await assert.rejects(
      create({
        name: 'Zero',
        assets: [
          { assetId: 'AAPL', percentage: '0' },
          { assetId: 'MSFT', percentage: '100' },
        ],
      }),
      refused(400, 'validation_failed'),
    );
    await assert.rejects(
      create({
        name: 'Negative',
        assets: [
          { assetId: 'AAPL', percentage: '-1' },
          { assetId: 'MSFT', percentage: '101' },
        ],
      }),
      refused(400, 'validation_failed'),
    );
    await assert.rejects(
      create({
        name: 'Twice',
        assets: [
          { assetId: 'AAPL', percentage: '50' },
          { assetId: 'AAPL', percentage: '50' },
        ],
      }),
      (e: unknown) => {
        refused(400, 'validation_failed')(e);
        assert.deepEqual(
          (e as AppError).errors?.map((f) => f.path),
          ['/assets/1/assetId'],
        );
        return true;
      },
    );
  });

  it('refuses an unknown asset (400, a field error on it) before looking at the sum', async () => {
    await assert.rejects(
      create({
        name: 'Unknown',
        assets: [
          { assetId: 'AAPL', percentage: '50' },
          { assetId: 'NOPE', percentage: '50' },
        ],
      }),
      (e: unknown) => {
        refused(400, 'validation_failed')(e);
        assert.deepEqual((e as AppError).errors, [{ path: '/assets/1/assetId', message: 'no asset NOPE' }]);
        return true;
      },
    );
    // Unknown and not summing to 100: the malformed request is the first thing to fix.
    await assert.rejects(
      create({ name: 'Unknown', assets: [{ assetId: 'NOPE', percentage: '10' }] }),
      refused(400, 'validation_failed'),
    );
  });

  it('only an admin creates a strategy', async () => {
    await assert.rejects(
      create({ name: 'Mine', assets: [{ assetId: 'SPY', percentage: '100' }] }, customer),
      refused(403, 'forbidden'),
    );
  });

  it('lists strategies newest first, in pages that together hold each one once', async () => {
    const made: string[] = [];
    for (let i = 0; i < 5; i++)
      made.push((await create({ name: `Paged ${i}`, assets: [{ assetId: 'SPY', percentage: '100' }] })).id);
    const all = await svc.callAs(customer)(strategiesContract, 'listStrategies', {});
    assert.deepEqual(
      all.items.slice(0, 5).map((s) => s.id),
      [...made].reverse(),
    );
    assert.equal(all.nextCursor, null);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await svc.callAs(customer)(strategiesContract, 'listStrategies', {
        limit: 2,
        ...(cursor ? { cursor } : {}),
      });
      assert.ok(page.items.length <= 2);
      seen.push(...page.items.map((s) => s.id));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    assert.deepEqual(
      seen,
      all.items.map((s) => s.id),
    );
    assert.equal(pages, Math.ceil(all.items.length / 2));
    await assert.rejects(
      svc.callAs(customer)(strategiesContract, 'listStrategies', { cursor: 'not-a-cursor' }),
      refused(400, 'validation_failed'),
    );
  });

  it('answers not_found for a strategy that does not exist, whatever the id looks like', async () => {
    for (const strategyId of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', 'x'.repeat(300)]) {
      await assert.rejects(
        svc.callAs(customer)(strategiesContract, 'getStrategy', { strategyId }),
        refused(404, 'not_found'),
      );
    }
  });
});
