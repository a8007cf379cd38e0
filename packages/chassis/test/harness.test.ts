/** The component-test harness: one service on real PostgreSQL, its collaborators stubbed at their contracts. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AppError,
  ConfigError,
  T,
  defineContract,
  defineService,
  defineSettings,
  env,
  rpc,
  startAllInOne,
} from '../src/index.ts';
import { eventually, startTestService, startTestSystem, stubService } from '../src/testing/index.ts';
import { auditContract, auditService, ledgerContract, ledgerService } from './fixtures/services.ts';

const billingSettings = defineSettings({ BILLING_FEE_CENTS: env.integer({ default: 100, min: 0 }) });

const billingContract = defineContract({
  service: 'billing',
  rpc: {
    chargeFee: rpc({
      request: T.Object({ account: T.String() }),
      response: T.Object({ entryId: T.String(), feeCents: T.Integer() }),
      idempotent: true,
    }),
  },
});

const billingService = defineService({
  contract: billingContract,
  settings: [billingSettings],
  rpc: {
    async chargeFee(req, ctx) {
      const feeCents = billingSettings.value.BILLING_FEE_CENTS;
      const posted = await ctx.call(
        ledgerContract,
        'post',
        { account: req.account, cents: -feeCents },
        { idempotencyKey: `fee:${ctx.idempotencyKey}` },
      );
      return { entryId: posted.entryId, feeCents };
    },
  },
});

describe('the test harness', () => {
  it('delivers messages typed by their definitions, and reads back what a service published or sent', async () => {
    const sys = await startTestSystem([ledgerService, auditService]);
    try {
      const audit = sys.databases.get('audit')!.db;
      const count = async (sql: string, params: unknown[]) =>
        Number((await audit.query<{ n: string }>(sql, params)).rows[0]!.n);
      // An event by its definition (source: its publisher), a command by its definition (to its queue).
      await sys.deliver(
        ledgerContract.events.Posted,
        { entryId: 'e-typed', account: 'acc-typed', cents: 7 },
        { key: 'acc-typed' },
      );
      await sys.deliver(auditContract.commands.Archive, { note: 'typed' });
      // The type string still works, with the command found among the system's contracts.
      await sys.deliver(auditContract.commands.Archive.type, { note: 'by type' });
      await eventually(
        async () => (await count('SELECT count(*) AS n FROM audit_log WHERE account = $1', ['acc-typed'])) === 1,
      );
      await eventually(
        async () =>
          (await count('SELECT count(*) AS n FROM archive WHERE note = ANY($1)', [['typed', 'by type']])) === 2,
      );

      await sys.call(ledgerContract, 'post', { account: 'acc-out', cents: 250 }, { idempotencyKey: 'k-out' });
      const posted = await sys.outbox('ledger').published(ledgerContract.events.Posted);
      assert.deepEqual(
        posted.map((p) => [p.account, p.cents]),
        [['acc-out', 250]],
      );
      assert.equal((await sys.outbox('ledger').envelopes(ledgerContract.events.Posted))[0]!.key, 'acc-out');
      assert.deepEqual(await sys.outbox('ledger').sent(auditContract.commands.Archive), []);
      await assert.rejects(
        sys.outbox('audit').published(ledgerContract.events.Posted),
        /audit never publishes ledger.Posted.v1/,
      );
    } finally {
      await sys.stop({ drop: true });
    }
  });

  it('runs a service against a stub of its collaborator, with the caller identity and idempotency key passed on', async () => {
    const seen: Array<{ request: unknown; key?: string; customer?: string }> = [];
    const svc = await startTestService(billingService, {
      stubs: [
        (t) =>
          stubService(t, ledgerContract, {
            post: (request, envelope) => {
              seen.push({
                request,
                ...(envelope.idempotencyKey ? { key: envelope.idempotencyKey } : {}),
                ...(envelope.identity ? { customer: envelope.identity.customerId } : {}),
              });
              return { entryId: 'e-1', balance: 900 };
            },
          }),
      ],
    });
    try {
      const answer = await svc.callAs({ customerId: 'c-42', role: 'customer' })(
        billingContract,
        'chargeFee',
        { account: 'acc-1' },
        { idempotencyKey: 'k-1' },
      );
      assert.deepEqual(answer, { entryId: 'e-1', feeCents: 100 });
      assert.deepEqual(seen, [{ request: { account: 'acc-1', cents: -100 }, key: 'fee:k-1', customer: 'c-42' }]);
      // The repeat is answered from the service's idempotency record: the stub is not called again.
      await svc.callAs({ customerId: 'c-42', role: 'customer' })(
        billingContract,
        'chargeFee',
        { account: 'acc-1' },
        { idempotencyKey: 'k-1' },
      );
      assert.equal(seen.length, 1);
    } finally {
      await svc.stop();
    }
  });

  it('a stub holds the provider to its contract: an answer outside it is a 502 for the caller, not a 400', async () => {
    const svc = await startTestService(billingService, {
      stubs: [(t) => stubService(t, ledgerContract, { post: () => ({ entryId: 'e-1' }) as never })],
    });
    try {
      await assert.rejects(
        svc.call(billingContract, 'chargeFee', { account: 'a' }, { idempotencyKey: 'k-2' }),
        (e: unknown) => e instanceof AppError && e.status >= 500,
      );
    } finally {
      await svc.stop();
    }
  });

  it('an unavailable collaborator fails the call with a retryable 503, and a retry with the same key succeeds once it is back', async () => {
    const svc = await startTestService(billingService);
    try {
      await assert.rejects(
        svc.call(billingContract, 'chargeFee', { account: 'a' }, { idempotencyKey: 'k-3' }),
        (e: unknown) => e instanceof AppError && e.status === 503 && e.retryable,
      );
      const stub = await stubService(svc.transport, ledgerContract, { post: () => ({ entryId: 'e-3', balance: 0 }) });
      // Billing's breaker towards the ledger opened during the outage: retries succeed once its probe has gone through.
      const charged = await eventually(async () =>
        svc.call(billingContract, 'chargeFee', { account: 'a' }, { idempotencyKey: 'k-3' }).catch(() => undefined),
      );
      assert.equal(charged.entryId, 'e-3');
      await stub.cancel();
    } finally {
      await svc.stop();
    }
  });

  it("a service's settings are checked with the runtime's, in one message", async () => {
    await assert.rejects(
      startAllInOne({ services: [billingService], environment: { PORT: 'x', BILLING_FEE_CENTS: '-5' } }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /PORT/);
        assert.match(err.message, /BILLING_FEE_CENTS must be at least 0/);
        return true;
      },
    );
  });
});
