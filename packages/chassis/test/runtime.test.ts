import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, startAllInOne } from '../src/index.ts';
import { testServerUrl } from '../src/testing/index.ts';
import { auditService, ledgerContract, ledgerService } from './fixtures/services.ts';

describe('the all-in-one runtime', () => {
  it('serves health and metrics for every service on one port, and stops cleanly', async () => {
    const server = await testServerUrl();
    const system = await startAllInOne({
      services: [ledgerService, auditService],
      environment: { DATABASE_URL: server, PORT: '0', LOG_LEVEL: 'silent' },
    });
    try {
      const base = system.runtime.address;
      assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/, 'binds to loopback');
      const live = await fetch(`${base}/health/live`);
      assert.equal(live.status, 200);
      const ready = await fetch(`${base}/health/ready`);
      assert.equal(ready.status, 200);
      const body = (await ready.json()) as { checks: Array<{ name: string; ready: boolean }> };
      for (const name of ['ledger:database', 'ledger:outbox-relay', 'audit:transport', 'audit:sagas']) {
        assert.ok(
          body.checks.some((c) => c.name === name && c.ready),
          `${name} in ${JSON.stringify(body.checks)}`,
        );
      }
      // Work flows between the services, and the metrics say so, labelled by service.
      const caller = system.runtime.host('ledger').context({ correlationId: 'test' }).call;
      await caller(ledgerContract, 'post', { account: 'rt', cents: 1 }, { idempotencyKey: 'rt-1' });
      const metrics = await (await fetch(`${base}/metrics`)).text();
      assert.match(
        metrics,
        /simplebank_rpc_server_duration_seconds_count\{service="ledger",method="post",outcome="ok"\} 1/,
      );
      assert.match(metrics, /simplebank_outbox_backlog\{service="(ledger|audit)"\}/);
    } finally {
      await system.stop();
    }
    // Readiness went false during the drain and the port is closed now.
    await assert.rejects(fetch(`${system.runtime.address}/health/live`));
  });

  it('refuses to start with one message naming every bad setting', async () => {
    await assert.rejects(
      startAllInOne({
        services: [],
        environment: {
          PORT: 'eighty',
          LOG_LEVEL: 'loud',
          DATABASE_URL: 'mysql://u:secret@h/db',
          SIMPLEBANK_OUTBOX_RETENTION_HOURS: '0',
        },
      }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.problems.length, 4, err.message);
        assert.match(err.message, /PORT must be a port number/);
        assert.match(err.message, /LOG_LEVEL must be one of/);
        assert.match(err.message, /DATABASE_URL must be a postgres or postgresql URL/);
        assert.match(err.message, /SIMPLEBANK_OUTBOX_RETENTION_HOURS/);
        assert.doesNotMatch(err.message, /secret/, 'secrets are not echoed');
        return true;
      },
    );
  });
});

describe('one service per process', () => {
  it('hosts one service on its own database and port, reached by others over the shared transport', async () => {
    const { MemoryTransport, startStandalone } = await import('../src/index.ts');
    const server = await testServerUrl();
    const transport = new MemoryTransport();
    const environment = { DATABASE_URL: server, PORT: '0', LOG_LEVEL: 'silent' };
    const ledger = await startStandalone(ledgerService, { transport, environment });
    const audit = await startStandalone(auditService, { transport, environment });
    try {
      assert.equal((await fetch(`${ledger.address}/health/ready`)).status, 200);
      assert.notEqual(ledger.address, audit.address);
      const call = audit.host('audit').context({ correlationId: 'c' }).call;
      const r = await call(ledgerContract, 'post', { account: 'standalone', cents: 5 }, { idempotencyKey: 'sa-1' });
      assert.equal(r.balance, 5);
    } finally {
      await audit.stop();
      await ledger.stop();
    }
  });

  it('names the missing database setting', async () => {
    const { MemoryTransport, startStandalone } = await import('../src/index.ts');
    await assert.rejects(
      startStandalone(ledgerService, { transport: new MemoryTransport(), environment: {} }),
      /LEDGER_DATABASE_URL or DATABASE_URL is required/,
    );
  });
});
