/**
 * `_readiness`: a service says its own readiness checks over the transport — what its process's
 * /health/ready says about it — so an operator's console can ask every service, wherever it runs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { systemContract } from '../src/index.ts';
import { breakers } from '../src/resilience/breaker.ts';
import { startTestSystem, type TestSystem } from '../src/testing/index.ts';
import { auditService, ledgerService } from './fixtures/services.ts';

let system: TestSystem;
before(async () => {
  system = await startTestSystem([ledgerService, auditService]);
});
after(async () => {
  await system.stop({ drop: true });
});

describe('_readiness', () => {
  it("answers the service's own checks, all ready, named after it", async () => {
    const r = await system.call(systemContract('ledger'), '_readiness', {});
    assert.equal(r.service, 'ledger');
    assert.equal(r.ready, true);
    const names = r.checks.map((c) => c.name);
    for (const check of ['lifecycle', 'database', 'transport', 'outbox-relay', 'sagas'])
      assert.ok(names.includes(`ledger:${check}`), `${check} in ${names.join(', ')}`);
    assert.ok(
      names.every((n) => n.startsWith('ledger:')),
      `only ledger's checks: ${names.join(', ')}`,
    );
  });

  it('includes its circuit breakers, a forced-open one said in its detail', async () => {
    const breaker = breakers.get('audit', 'somewhere');
    breaker.forceOpen();
    try {
      const r = await system.call(systemContract('audit'), '_readiness', {});
      assert.deepEqual(
        r.checks.find((c) => c.name === 'audit:breaker:somewhere'),
        { name: 'audit:breaker:somewhere', ready: true, detail: 'somewhere breaker forced open' },
      );
    } finally {
      breaker.release();
    }
  });
});
