/**
 * `_signals`: a service's golden signals as its process counts them — request, error and latency
 * totals, the outbox backlog and relay lag, its queues — for a console that samples them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { systemContract } from '../src/index.ts';
import { eventually, startTestSystem, type TestSystem } from '../src/testing/index.ts';
import { auditService, ledgerContract, ledgerService } from './fixtures/services.ts';

let system: TestSystem;
before(async () => {
  system = await startTestSystem([ledgerService, auditService]);
});
after(async () => {
  await system.stop({ drop: true });
});

describe('_signals', () => {
  it('counts the requests a service answered, their latency, and its events published through the outbox', async () => {
    const before = await system.call(systemContract('ledger'), '_signals', {});
    assert.equal(before.service, 'ledger');
    for (let i = 0; i < 5; i++)
      await system.call(
        ledgerContract,
        'post',
        { account: `signals-${i}`, cents: 100 },
        { idempotencyKey: `signals-${i}` },
      );
    const after = await eventually(async () => {
      const s = await system.call(systemContract('ledger'), '_signals', {});
      return s.outbox.backlog === 0 && s.relayLag.count >= before.relayLag.count + 5 && s;
    });
    // The five posts; not the _signals calls themselves (a system method: the console's own probing).
    assert.equal(after.requests, before.requests + 5);
    assert.equal(after.errors, before.errors);
    assert.equal(after.inFlight, 0, 'nothing but this request, which is left out');
    assert.equal(after.latency.count, after.requests);
    const counts = after.latency.buckets.map((b) => b.count);
    assert.deepEqual(
      counts,
      [...counts].sort((a, b) => a - b),
      'cumulative buckets',
    );
    assert.ok(counts.at(-1)! <= after.latency.count);
    assert.ok(Date.parse(after.at) >= Date.parse(before.at));
  });

  it("says only its own service's counts", async () => {
    const audit = await system.call(systemContract('audit'), '_signals', {});
    const ledger = await system.call(systemContract('ledger'), '_signals', {});
    assert.equal(audit.service, 'audit');
    assert.ok(ledger.requests > audit.requests, `ledger ${ledger.requests}, audit ${audit.requests}`);
  });
});
