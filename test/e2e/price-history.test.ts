/**
 * An instrument's price history (GET /v1/assets/{assetId}/prices): the prices published in a period,
 * oldest first, at most 200, as decimal strings with ISO times; what the web app's chart draws.
 * Asset of this file: INTC (its price pinned, then released).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { eventually, expectProblem, expectStatus, show, useSystem, WAIT_MS } from './system.ts';

const sys = useSystem();

describe('price history', () => {
  after(async () => {
    const admin = await sys.bank.adminLogin();
    await admin.http.put('/v1/admin/simulation/prices/INTC', { pinned: false });
  });

  it('gives a customer the prices of the last hour, ending with the price just pinned', async () => {
    const customer = await sys.bank.signUp();
    await sys.bank.pinPrice('INTC', '31.37');
    const history = await eventually(
      async () => {
        const res = await customer.http.get('/v1/assets/INTC/prices');
        expectStatus(res, 200, 'history');
        return res.body.points.at(-1)?.price === '31.37' && res.body;
      },
      { timeoutMs: WAIT_MS, message: 'the pinned price never reached the history' },
    );
    assert.equal(history.assetId, 'INTC');
    assert.equal(Date.parse(history.to) - Date.parse(history.from), 3_600_000);
    assert.ok(history.points.length >= 1 && history.points.length <= 200, show({ ...history, text: '' } as never));
    for (const p of history.points) {
      assert.match(p.price, /^\d+\.\d{2}$/);
      assert.equal(new Date(p.at).toISOString(), p.at);
      assert.ok(p.at >= history.from && p.at <= history.to, `${p.at} in the period`);
    }
  });

  it('answers an empty history for a period before any price, 404 for an unknown asset, 400 for a bad period, 401 without a token', async () => {
    const customer = await sys.bank.signUp();
    const old = await customer.http.get('/v1/assets/INTC/prices?from=2001-01-01T00:00:00Z&to=2001-01-02T00:00:00Z');
    expectStatus(old, 200, 'a period before any price');
    assert.deepEqual(old.body.points, []);
    expectProblem(await customer.http.get('/v1/assets/NOPE/prices'), 404, 'not_found', 'unknown asset');
    const reversed = await customer.http.get(
      '/v1/assets/INTC/prices?from=2024-01-02T00:00:00Z&to=2024-01-01T00:00:00Z',
    );
    expectProblem(reversed, 400, 'validation_failed', 'from after to');
    assert.ok(
      reversed.body.errors?.some((e: { path: string }) => /from/.test(e.path)),
      show(reversed),
    );
    expectProblem(
      await customer.http.get('/v1/assets/INTC/prices?from=2020-01-01T00:00:00Z&to=2024-01-01T00:00:00Z'),
      400,
      'validation_failed',
      'longer than 366 days',
    );
    expectProblem(
      await customer.http.get('/v1/assets/INTC/prices?from=yesterday'),
      400,
      'validation_failed',
      'not a date-time',
    );
    expectProblem(await customer.http.get('/v1/assets/INTC/prices', { token: null }), 401, undefined, 'no token');
  });
});
