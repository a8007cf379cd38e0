/**
 * Every service's readiness, asked of each service itself (GET /v1/admin/readiness, chassis
 * `_readiness`): what the operations console shows, the same in the all-in-one and the distributed
 * mode (test:distributed runs this file against it).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventually, expectStatus, show, useSystem, WAIT_MS } from './system.ts';

const sys = useSystem();
const SERVICES = [
  'accounts',
  'customers',
  'exchange',
  'fees',
  'gateway',
  'holdings',
  'market',
  'market-data',
  'notifications',
  'orders',
  'payments',
  'reporting',
  'strategies',
  'strategy-orders',
  'transactions',
];

describe("every service's readiness", () => {
  it('answers a row per service, each reachable and ready, with its own checks', async () => {
    const admin = await sys.bank.adminLogin();
    const report = await eventually(
      async () => {
        const res = await admin.http.get('/v1/admin/readiness');
        expectStatus(res, 200, 'readiness');
        return res.body.ready === true && res.body;
      },
      { timeoutMs: WAIT_MS, message: 'not every service became ready' },
    );
    assert.deepEqual(report.services.map((s: { service: string }) => s.service).sort(), SERVICES);
    for (const s of report.services as Array<{
      service: string;
      ready: boolean;
      reachable: boolean;
      checks: Array<{ name: string; ready: boolean }>;
    }>) {
      assert.equal(s.reachable, true, s.service);
      assert.ok(
        s.checks.some((c) => c.name === `${s.service}:database` && c.ready),
        `${s.service}: its database check`,
      );
      assert.ok(
        s.checks.every((c) => c.name.startsWith(`${s.service}:`)),
        `${s.service}: only its own checks`,
      );
    }
  });

  it('is for admins only', async () => {
    const customer = await sys.bank.signUp();
    const res = await customer.http.get('/v1/admin/readiness');
    assert.equal(res.status, 403, show(res));
  });
});
