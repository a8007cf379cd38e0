/**
 * An idempotent method calls other services with no transaction open, then claims its key and
 * commits its writes with its answer (messaging/idempotency.ts). Killed (SIGKILL) between the
 * other service's answer and its own transaction, or right after it answered, a repeat with the
 * same key does the work exactly once: one local effect, one remote effect, one answer.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { createTestDatabase, startTestSystem, testServerUrl } from '../src/testing/index.ts';
import { billingContract, billingService } from './fixtures/billing.ts';
import { ledgerContract, ledgerService } from './fixtures/services.ts';

describe('an idempotent method killed at its transaction boundary', () => {
  for (const at of ['call', 'commit'] as const) {
    it(`crash at ${at}: a repeat with the same key charges once`, async () => {
      await testServerUrl();
      const billing = await createTestDatabase('billing');
      const ledger = await createTestDatabase('ledger');
      try {
        const child = spawnSync(
          process.execPath,
          ['--import', 'tsx', new URL('./fixtures/crash-idempotent.ts', import.meta.url).pathname],
          {
            env: {
              ...process.env,
              BILLING_DB_URL: billing.url,
              LEDGER_DB_URL: ledger.url,
              BILLING_CRASH_AT: at === 'call' ? 'call' : '',
            },
            encoding: 'utf8',
            timeout: 60_000,
          },
        );
        assert.equal(child.signal, 'SIGKILL', `the child should have died by SIGKILL: ${child.stderr}`);
        const answered = /answered (\S+)/.exec(child.stdout)?.[1];
        assert.equal(answered !== undefined, at === 'commit', child.stdout + child.stderr);

        const system = await startTestSystem([billingService, ledgerService], {
          databases: new Map([
            ['billing', billing],
            ['ledger', ledger],
          ]),
        });
        try {
          const first = await system.call(
            billingContract,
            'charge',
            { account: 'acc-crash' },
            { idempotencyKey: 'charge-1' },
          );
          const again = await system.call(
            billingContract,
            'charge',
            { account: 'acc-crash' },
            { idempotencyKey: 'charge-1' },
          );
          assert.deepEqual(again, first);
          if (answered) assert.equal(first.chargeId, answered, 'the answer given before the crash');
          const charges = await billing.db.query('SELECT * FROM charges');
          assert.equal(charges.rowCount, 1, 'one local effect');
          assert.deepEqual(
            await system.call(ledgerContract, 'balance', { account: 'acc-crash' }),
            { balance: 100 },
            'one remote effect',
          );
        } finally {
          await system.stop();
        }
      } finally {
        await billing.drop();
        await ledger.drop();
      }
    });
  }
});
