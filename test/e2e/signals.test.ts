/**
 * Every service's golden signals (GET /v1/admin/signals, chassis `_signals`): totals the operations
 * console samples and charts. Asserted as a reader would check them: every service answers, and
 * requests made show up in the totals.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expectStatus, show, useSystem } from './system.ts';

const sys = useSystem();

describe("every service's golden signals", () => {
  it('answers every service, and the requests a customer makes show in the totals', async () => {
    const admin = await sys.bank.adminLogin();
    const read = async () => {
      const res = await admin.http.get('/v1/admin/signals');
      expectStatus(res, 200, 'signals');
      return res.body as { at: string; services: Array<{ service: string; reachable: boolean; signals: any }> };
    };
    const first = await read();
    assert.equal(first.services.length, 15, 'a row per service');
    for (const s of first.services) {
      assert.equal(s.reachable, true, `${s.service}: ${JSON.stringify(s)}`);
      assert.equal(s.signals.service, s.service);
      assert.ok(s.signals.outbox.backlog >= 0);
    }
    const customer = await sys.bank.signUp();
    for (let i = 0; i < 3; i++) expectStatus(await customer.http.get('/v1/assets/AAPL'), 200);
    const second = await read();
    const of = (r: typeof first, service: string) => r.services.find((s) => s.service === service)!.signals;
    // Sign-up and three reads at the gateway; three getAsset calls answered by market-data.
    assert.ok(
      of(second, 'gateway').requests >= of(first, 'gateway').requests + 4,
      show({ status: 200, text: JSON.stringify(of(second, 'gateway')) } as never),
    );
    assert.ok(of(second, 'market-data').requests >= of(first, 'market-data').requests + 3);
  });

  it('is for admins only', async () => {
    const customer = await sys.bank.signUp();
    assert.equal((await customer.http.get('/v1/admin/signals')).status, 403);
  });
});
