/**
 * Saga instances through the admin API: a service's sagas listed newest first, by status, page by
 * page (GET /v1/admin/sagas/{service}); each with its data and the trace id of the request that
 * began it. Customers are refused (the authorization matrix checks every caller).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expectProblem, expectStatus, useSystem } from './system.ts';

const sys = useSystem();

describe('saga instances (GET /v1/admin/sagas/{service})', () => {
  it('lists the order sagas newest first, page by page without repeats, by status, each with its data and trace id', async () => {
    const { customer, account } = await sys.bank.fundedCustomer('2000.00');
    const mine: string[] = [];
    for (const assetId of ['AAPL', 'MSFT', 'NVDA'])
      mine.push((await sys.bank.trade(customer, { accountId: account.id, assetId, side: 'buy', quantity: '1' })).id);
    const admin = await sys.bank.adminLogin();

    const seen: Array<{
      id: string;
      status: string;
      createdAt: string;
      data: { orderId?: string };
      traceId: string | null;
      type: string;
    }> = [];
    let cursor: string | undefined;
    do {
      const page = await admin.http.get(
        `/v1/admin/sagas/orders?status=completed&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expectStatus(page, 200, 'sagas page');
      assert.ok(page.body.items.length <= 2);
      seen.push(...page.body.items);
      cursor = page.body.nextCursor ?? undefined;
    } while (cursor && !mine.every((id) => seen.some((s) => s.id === id)));
    assert.equal(new Set(seen.map((s) => s.id)).size, seen.length, 'no saga twice');
    assert.ok(seen.every((s) => s.status === 'completed' && s.type === 'PlaceOrder'));
    const created = seen.map((s) => s.createdAt);
    assert.deepEqual(created, [...created].sort().reverse(), 'newest first');
    // The three orders, newest first among them, each with its data and its request's trace.
    const ours = seen.filter((s) => mine.includes(s.id));
    assert.deepEqual(
      ours.map((s) => s.id),
      [...mine].reverse(),
    );
    for (const s of ours) {
      assert.equal(s.data.orderId, s.id);
      assert.match(s.traceId ?? '', /^[0-9a-f]{32}$/);
    }
    const one = await admin.http.get(`/v1/admin/sagas/orders/${mine[0]}`);
    expectStatus(one, 200, 'one saga');
    assert.equal(one.body.traceId, ours.at(-1)!.traceId, 'the list and the saga say the same trace');

    const none = await admin.http.get('/v1/admin/sagas/orders?status=compensating&limit=200');
    expectStatus(none, 200, 'compensating');
    assert.ok(none.body.items.every((s: { status: string }) => s.status === 'compensating'));
    expectProblem(
      await admin.http.get('/v1/admin/sagas/orders?cursor=bm90LWEtY3Vyc29y'),
      400,
      'validation_failed',
      'a cursor the service did not make',
    );
    expectProblem(
      await admin.http.get('/v1/admin/sagas/orders?status=sleeping'),
      400,
      'validation_failed',
      'an unknown status',
    );
    expectProblem(await customer.http.get('/v1/admin/sagas/orders'), 403, 'forbidden', 'a customer');
  });
});
