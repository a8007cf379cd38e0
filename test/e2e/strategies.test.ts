/** Investment strategies through the public API: an admin creates them, every customer lists and reads them. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { expectProblem, expectStatus, show, useSystem, type Customer, type Res } from './system.ts';

const sys = useSystem();

interface Strategy {
  id: string;
  name: string;
  assets: { assetId: string; percentage: string }[];
  createdById: string;
  createdAt: string;
}

const unique = (name: string) => `${name} ${randomUUID().slice(0, 8)}`;

describe('strategies', () => {
  let admin: Customer;
  let adminId: string;
  let customer: Customer;

  before(async () => {
    admin = await sys.bank.adminLogin();
    const me = await admin.http.get('/v1/me');
    expectStatus(me, 200, 'admin profile');
    adminId = me.body.id;
    customer = await sys.bank.signUp('Strategy Reader');
  });

  const create = (body: unknown, who: Customer = admin, idempotencyKey?: string) =>
    who.http.post('/v1/admin/strategies', body, idempotencyKey ? { idempotencyKey } : {});

  /** Every strategy, following nextCursor from page to page. */
  async function everyStrategy(as: Customer, limit: number): Promise<{ ids: string[]; pages: number }> {
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: Res = await as.http.get(
        `/v1/strategies?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expectStatus(res, 200, 'list strategies');
      assert.ok(res.body.items.length <= limit, show(res));
      ids.push(...res.body.items.map((s: Strategy) => s.id));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor);
    return { ids, pages };
  }

  it('an admin creates a strategy (201, Location); any customer reads it and finds it in the list', async () => {
    const name = unique('Thirds');
    const res = await create({
      name,
      assets: [
        { assetId: 'AAPL', percentage: '33.33' },
        { assetId: 'MSFT', percentage: '33.33' },
        { assetId: 'SPY', percentage: '33.34' },
      ],
    });
    expectStatus(res, 201, 'create strategy');
    const created: Strategy = res.body;
    assert.equal(created.name, name);
    assert.deepEqual(created.assets, [
      { assetId: 'AAPL', percentage: '33.33' },
      { assetId: 'MSFT', percentage: '33.33' },
      { assetId: 'SPY', percentage: '33.34' },
    ]);
    assert.equal(created.createdById, adminId);
    assert.ok(!Number.isNaN(Date.parse(created.createdAt)), show(res));
    assert.equal(res.headers.get('location'), `/v1/strategies/${created.id}`);

    const read = await customer.http.get(`/v1/strategies/${created.id}`);
    expectStatus(read, 200, 'read strategy');
    assert.deepEqual(read.body, created);
    const list = await customer.http.get('/v1/strategies');
    expectStatus(list, 200, 'list strategies');
    assert.deepEqual(
      list.body.items.find((s: Strategy) => s.id === created.id),
      created,
    );

    // Whole percentages come back with two decimals, like money.
    const whole = await create({ name: unique('All in'), assets: [{ assetId: 'QQQ', percentage: '100' }] });
    expectStatus(whole, 201, 'create 100%');
    assert.deepEqual(whole.body.assets, [{ assetId: 'QQQ', percentage: '100.00' }]);
  });

  it('lists strategies newest first, in pages that hold each strategy once', async () => {
    const made: string[] = [];
    for (const [i, assetId] of ['VTSAX', 'FXAIX', 'KO'].entries()) {
      const res = await create({
        name: unique(`Paged ${i}`),
        assets: [
          { assetId, percentage: '60' },
          { assetId: 'SPY', percentage: '40' },
        ],
      });
      expectStatus(res, 201, 'create strategy');
      made.push(res.body.id);
    }
    const { ids, pages } = await everyStrategy(customer, 2);
    assert.equal(new Set(ids).size, ids.length, 'no strategy twice');
    assert.ok(pages >= 2, `pages: ${pages}`);
    // Others may create strategies meanwhile (a shared system): ours keep their order, newest first.
    assert.deepEqual(
      ids.filter((id) => made.includes(id)),
      [...made].reverse(),
    );
  });

  it('repeats the answer for a repeated Idempotency-Key: one strategy', async () => {
    const key = randomUUID();
    const body = { name: unique('Retried'), assets: [{ assetId: 'SPY', percentage: '100' }] };
    const first = await create(body, admin, key);
    expectStatus(first, 201, 'first');
    const again = await create(body, admin, key);
    expectStatus(again, 201, 'again');
    assert.equal(again.body.id, first.body.id);
    const { ids } = await everyStrategy(customer, 200);
    assert.equal(ids.filter((id) => id === first.body.id).length, 1);
  });

  it('refuses percentages that do not sum to 100 with 422 allocations_must_sum_to_100, and creates nothing', async () => {
    const name = unique('Short');
    const res = await create({
      name,
      assets: [
        { assetId: 'AAPL', percentage: '33.33' },
        { assetId: 'MSFT', percentage: '33.33' },
        { assetId: 'SPY', percentage: '33.33' },
      ],
    });
    expectProblem(res, 422, 'allocations_must_sum_to_100', 'sum 99.99');
    assert.match(res.body.type, /allocations_must_sum_to_100$/);
    assert.match(res.body.detail, /99\.99/);
    const over = await create({
      name,
      assets: [
        { assetId: 'AAPL', percentage: '60' },
        { assetId: 'MSFT', percentage: '40.01' },
      ],
    });
    expectProblem(over, 422, 'allocations_must_sum_to_100', 'sum 100.01');
    const list = await customer.http.get('/v1/strategies?limit=200');
    assert.equal(list.body.items.filter((s: Strategy) => s.name === name).length, 0, 'nothing created');
  });

  it('refuses malformed allocations with 400 validation_failed, naming the field', async () => {
    const cases: Array<[string, unknown, string]> = [
      [
        'three decimals',
        {
          name: 'x',
          assets: [
            { assetId: 'AAPL', percentage: '33.333' },
            { assetId: 'MSFT', percentage: '66.667' },
          ],
        },
        '/assets/0/percentage',
      ],
      [
        'zero',
        {
          name: 'x',
          assets: [
            { assetId: 'AAPL', percentage: '0' },
            { assetId: 'MSFT', percentage: '100' },
          ],
        },
        '/assets/0/percentage',
      ],
      [
        'negative',
        {
          name: 'x',
          assets: [
            { assetId: 'AAPL', percentage: '-10' },
            { assetId: 'MSFT', percentage: '110' },
          ],
        },
        '/assets/0/percentage',
      ],
      [
        'duplicate asset',
        {
          name: 'x',
          assets: [
            { assetId: 'AAPL', percentage: '50' },
            { assetId: 'AAPL', percentage: '50' },
          ],
        },
        '/assets/1/assetId',
      ],
      [
        'unknown asset',
        {
          name: 'x',
          assets: [
            { assetId: 'SPY', percentage: '50' },
            { assetId: 'NOPE-NOT-A-TICKER', percentage: '50' },
          ],
        },
        '/assets/1/assetId',
      ],
      [
        'a number, not a decimal string',
        { name: 'x', assets: [{ assetId: 'SPY', percentage: 100 }] },
        '/assets/0/percentage',
      ],
      ['no assets', { name: 'x', assets: [] }, '/assets'],
      ['no name', { assets: [{ assetId: 'SPY', percentage: '100' }] }, '/name'],
      ['blank name', { name: '   ', assets: [{ assetId: 'SPY', percentage: '100' }] }, '/name'],
    ];
    for (const [what, body, field] of cases) {
      const res = await create(body);
      expectProblem(res, 400, 'validation_failed', what);
      assert.ok(
        res.body.errors?.some((e: { path: string }) => e.path.endsWith(field)),
        `${what}: a field error on ${field}, got ${show(res)}`,
      );
    }
  });

  it('refuses a customer (403) and no token (401); an unknown strategy is a 404 problem', async () => {
    const body = { name: unique('Mine'), assets: [{ assetId: 'SPY', percentage: '100' }] };
    expectProblem(await create(body, customer), 403, 'forbidden', 'customer creates');
    expectProblem(await sys.http.post('/v1/admin/strategies', body), 401, 'unauthorized', 'no token');
    expectProblem(await sys.http.get('/v1/strategies'), 401, 'unauthorized', 'no token lists');
    expectProblem(await customer.http.get(`/v1/strategies/${randomUUID()}`), 404, 'not_found', 'unknown strategy');
    expectProblem(await customer.http.get('/v1/strategies/not-a-strategy'), 404, 'not_found', 'unknown strategy id');
    const list = await customer.http.get('/v1/strategies?limit=200');
    assert.equal(
      list.body.items.filter((s: Strategy) => s.name === body.name).length,
      0,
      'the refused one was not created',
    );
  });
});
