/**
 * Group commit (`on(…, { batch: true })`): messages that arrive together are handled in one
 * transaction, and a batch holding a message that fails loses nothing — the others are handled,
 * the failing one gets its own outcome (here a dead letter), a duplicate is still handled once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BusinessRuleError, defineService, newEnvelope, on, systemContract } from '../src/index.ts';
import { eventually, startTestSystem, type TestSystem } from '../src/testing/index.ts';
import { auditContract, ledgerContract } from './fixtures/services.ts';

/** The transaction each handled message ran in, by account. */
const transactionOf = new Map<string, string>();

const batchedAudit = defineService({
  contract: auditContract,
  migrations: new URL('./fixtures/migrations-audit', import.meta.url),
  rpc: {},
  handlers: [
    on(
      ledgerContract.events.Posted,
      async (data, ctx) => {
        if (data.account.startsWith('poison')) throw new BusinessRuleError('rejected', 'audit refuses this entry');
        await ctx.tx.query('INSERT INTO audit_log (entry_id, account, cents, message_id) VALUES ($1, $2, $3, $4)', [
          data.entryId,
          data.account,
          data.cents,
          ctx.envelope.id,
        ]);
        const { rows } = await ctx.tx.query<{ id: string }>('SELECT txid_current()::text AS id');
        transactionOf.set(data.account, rows[0]!.id);
      },
      { batch: true, when: (data) => !data.account.startsWith('lingering-') },
    ),
    // A read model's consumer: it waits for company before its transaction (here a full second, far
    // longer than the messages below take to arrive one by one).
    on(
      ledgerContract.events.Posted,
      async (data, ctx) => {
        await ctx.tx.query('INSERT INTO audit_log (entry_id, account, cents, message_id) VALUES ($1, $2, $3, $4)', [
          data.entryId,
          data.account,
          data.cents,
          ctx.envelope.id,
        ]);
        const { rows } = await ctx.tx.query<{ id: string }>('SELECT txid_current()::text AS id');
        transactionOf.set(data.account, rows[0]!.id);
      },
      { name: 'lingering', batch: true, lingerMs: 1000, when: (data) => data.account.startsWith('lingering-') },
    ),
  ],
});

let system: TestSystem;
before(async () => {
  system = await startTestSystem([batchedAudit]);
});
after(async () => {
  await system.stop({ drop: true });
});

function posted(account: string) {
  const envelope = newEnvelope({
    type: ledgerContract.events.Posted.type,
    version: 1,
    source: 'ledger',
    data: { entryId: `e-${account}`, account, cents: 1 },
  });
  return {
    destination: { kind: 'event' as const, type: envelope.type },
    messageId: envelope.id,
    body: JSON.stringify(envelope),
  };
}

async function rows(prefix: string): Promise<number> {
  const { rows } = await system.databases
    .get('audit')!
    .db.query<{ n: string }>('SELECT count(*) AS n FROM audit_log WHERE account LIKE $1', [`${prefix}%`]);
  return Number(rows[0]!.n);
}

describe('group commit', () => {
  it('handles messages that arrive together in fewer transactions than messages, each once', async () => {
    const messages = Array.from({ length: 40 }, (_, i) => posted(`together-${i}`));
    await Promise.all(messages.map((m) => system.transport.publish(m)));
    await eventually(async () => (await rows('together-')) === 40);
    const transactions = new Set(messages.map((_, i) => transactionOf.get(`together-${i}`)));
    assert.ok(transactions.size < 40, `40 messages in ${transactions.size} transactions`);
    // Each handled message's lag (envelope time → commit) is measured, batched or not.
    const { body } = await system.runtime.metrics.render();
    const lagged = Number(
      /^simplebank_message_lag_seconds_count\{service="audit",consumer="audit\.ledger\.Posted\.v1"\} (\d+)$/m.exec(
        body,
      )?.[1] ?? 0,
    );
    assert.ok(lagged >= 40, `lag observed for ${lagged} messages`);
  });

  it('a lingering consumer handles messages that arrive one by one, moments apart, in one transaction', async () => {
    const messages = Array.from({ length: 5 }, (_, i) => posted(`lingering-${i}`));
    // Published one by one (the memory transport's publish resolves once the message is handled).
    const published: Promise<void>[] = [];
    for (const m of messages) {
      published.push(system.transport.publish(m));
      await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.all(published);
    await eventually(async () => (await rows('lingering-')) === 5);
    const transactions = new Set(messages.map((_, i) => transactionOf.get(`lingering-${i}`)));
    assert.equal(transactions.size, 1, `5 messages in ${transactions.size} transactions`);
  });

  it('a batch with a failing message and a duplicate: the others are handled once, the failing one is dead-lettered', async () => {
    const messages = Array.from({ length: 20 }, (_, i) => posted(`mixed-${i}`));
    const poison = posted('poison-1');
    await Promise.all([...messages, poison, messages[3]!].map((m) => system.transport.publish(m)));
    await eventually(async () => (await rows('mixed-')) === 20);
    const letters = await system.call(systemContract('audit'), '_deadLetters', {});
    assert.equal(
      letters.items.filter((l) => l.messageId === poison.messageId).length,
      1,
      JSON.stringify(letters.items),
    );
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await rows('mixed-'), 20, 'the duplicate changed nothing');
  });

  it('a batch holding a message handled before and a repeat of one of its own: each handled once, the new ones in one transaction', async () => {
    const earlier = posted('lingering-again-0');
    await system.transport.publish(earlier);
    await eventually(async () => (await rows('lingering-again-')) === 1);
    const fresh = Array.from({ length: 9 }, (_, i) => posted(`lingering-again-${i + 1}`));
    // All within the consumer's linger: one batch of eleven deliveries, two of them repeats.
    await Promise.all([...fresh, earlier, fresh[4]!].map((m) => system.transport.publish(m)));
    await eventually(async () => (await rows('lingering-again-')) === 10);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await rows('lingering-again-'), 10, 'each message once');
    const transactions = new Set(fresh.map((_, i) => transactionOf.get(`lingering-again-${i + 1}`)));
    assert.equal(transactions.size, 1, `9 new messages in ${transactions.size} transactions`);
  });
});
