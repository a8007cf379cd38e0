/**
 * The messaging guarantees, each proved by breaking it on purpose: duplicated and redelivered
 * messages change nothing, a handler that keeps failing ends in the dead-letter store while the
 * queue keeps moving (and replay works), poison messages do not stop the consumer, and
 * state-changing RPC methods are idempotent.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AppError, newEnvelope, systemContract } from '../src/index.ts';
import { contractSettings } from '../src/runtime/rpc-endpoint.ts';
import { eventually, startTestSystem, type TestSystem } from '../src/testing/index.ts';
import { auditService, ledgerContract, ledgerService } from './fixtures/services.ts';

let system: TestSystem;

async function auditRows(account: string): Promise<number> {
  const { rows } = await system.databases
    .get('audit')!
    .db.query<{ n: string }>('SELECT count(*) AS n FROM audit_log WHERE account = $1', [account]);
  return Number(rows[0]!.n);
}

async function deadLetters() {
  return system.call(systemContract('audit'), '_deadLetters', {});
}

before(async () => {
  system = await startTestSystem([ledgerService, auditService], { hostOptions: { maxAttempts: 4 } });
});
after(async () => {
  await system.stop({ drop: true });
});

describe('events through the outbox and the inbox', () => {
  it('delivers a committed event to its subscriber once', async () => {
    const r = await system.call(
      ledgerContract,
      'post',
      { account: 'plain', cents: 500 },
      { idempotencyKey: 'plain-1' },
    );
    assert.equal(r.balance, 500);
    await eventually(async () => (await auditRows('plain')) === 1);
  });

  it('a duplicated delivery changes nothing', async () => {
    system.transport.inject({ type: ledgerContract.events.Posted.type, fault: { kind: 'duplicate' }, times: 1 });
    await system.call(ledgerContract, 'post', { account: 'dup', cents: 100 }, { idempotencyKey: 'dup-1' });
    await eventually(async () => (await auditRows('dup')) === 1);
    await eventually(() => system.transport.fired.some((f) => f.fault === 'duplicate'));
    // Both copies have been handled (one as a duplicate): still one row.
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await auditRows('dup'), 1);
  });

  it('a message redelivered after a lost acknowledgement changes nothing', async () => {
    system.transport.inject({
      type: ledgerContract.events.Posted.type,
      fault: { kind: 'drop-then-redeliver' },
      times: 1,
    });
    await system.call(ledgerContract, 'post', { account: 'lost-ack', cents: 100 }, { idempotencyKey: 'lost-ack-1' });
    await eventually(async () => (await auditRows('lost-ack')) === 1);
    assert.ok(system.transport.fired.some((f) => f.fault === 'drop-then-redeliver'));
  });

  it('the same event published twice (relay resent after a crash) is handled once', async () => {
    const envelope = newEnvelope({
      type: ledgerContract.events.Posted.type,
      version: 1,
      source: 'ledger',
      data: { entryId: 'e-resent', account: 'resent', cents: 7 },
    });
    const message = {
      destination: { kind: 'event' as const, type: envelope.type },
      messageId: envelope.id,
      body: JSON.stringify(envelope),
    };
    await system.transport.publish(message);
    await system.transport.publish(message);
    assert.equal(await auditRows('resent'), 1);
  });

  it('retries a handler that fails for a while, then succeeds', async () => {
    await system.databases.get('audit')!.db.query("INSERT INTO fail_next (account, remaining) VALUES ('flaky', 2)");
    await system.call(ledgerContract, 'post', { account: 'flaky', cents: 100 }, { idempotencyKey: 'flaky-1' });
    await eventually(async () => (await auditRows('flaky')) === 1);
    const letters = await deadLetters();
    assert.equal(letters.items.filter((l) => l.reason.includes('flaky')).length, 0);
  });
});

describe('the dead-letter store', () => {
  it('does not take a message that failed only because the database was away: it is redelivered, past the maximum attempts, until the database is back', async () => {
    // Seven failures against a maximum of four attempts: a database restart, not the message's fault.
    await system.databases
      .get('audit')!
      .db.query("INSERT INTO fail_next (account, remaining, mode) VALUES ('outage', 7, 'outage')");
    await system.call(ledgerContract, 'post', { account: 'outage', cents: 100 }, { idempotencyKey: 'outage-1' });
    await eventually(async () => (await auditRows('outage')) === 1, { timeoutMs: 20_000 });
    const letters = await deadLetters();
    assert.equal(letters.items.filter((l) => l.reason.includes('database_unavailable')).length, 0);
  });

  it('takes a message that keeps failing, while the queue keeps moving, and replays it once fixed', async () => {
    await system.databases.get('audit')!.db.query("INSERT INTO fail_next (account, remaining) VALUES ('broken', 100)");
    await system.call(ledgerContract, 'post', { account: 'broken', cents: 100 }, { idempotencyKey: 'broken-1' });
    // Other messages on the same queue are not held up behind the failing one.
    await system.call(ledgerContract, 'post', { account: 'healthy', cents: 100 }, { idempotencyKey: 'healthy-1' });
    await eventually(async () => (await auditRows('healthy')) === 1);

    const letter = await eventually(async () =>
      (await deadLetters()).items.find(
        (l) => l.messageType === ledgerContract.events.Posted.type && l.reason.includes('audit store unavailable'),
      ),
    );
    assert.equal(letter.attempts, 4, 'dead after the maximum attempts');
    assert.equal(letter.service, 'audit');
    assert.equal(await auditRows('broken'), 0);

    // Still broken: replay fails and the letter stays.
    await assert.rejects(
      system.call(systemContract('audit'), '_replayDeadLetter', { id: letter.id }),
      (e: unknown) => e instanceof AppError && e.code === 'replay_failed',
    );
    assert.ok((await deadLetters()).items.some((l) => l.id === letter.id));

    // Fixed: replay handles it, once, and the letter leaves the store.
    await system.databases.get('audit')!.db.query("UPDATE fail_next SET remaining = 0 WHERE account = 'broken'");
    const replayed = await system.call(systemContract('audit'), '_replayDeadLetter', { id: letter.id });
    assert.equal(replayed.outcome, 'handled');
    assert.equal(await auditRows('broken'), 1);
    assert.ok(!(await deadLetters()).items.some((l) => l.id === letter.id));
    await assert.rejects(
      system.call(systemContract('audit'), '_replayDeadLetter', { id: letter.id }),
      (e: unknown) => e instanceof AppError && e.code === 'not_found',
    );
  });

  it('dead-letters a business refusal at once, without retrying, and can discard it', async () => {
    await system.databases
      .get('audit')!
      .db.query("INSERT INTO fail_next (account, remaining, mode) VALUES ('refused', 1, 'business')");
    await system.call(ledgerContract, 'post', { account: 'refused', cents: 100 }, { idempotencyKey: 'refused-1' });
    const letter = await eventually(async () => (await deadLetters()).items.find((l) => l.reason.includes('rejected')));
    assert.equal(letter.attempts, 1);
    await system.call(systemContract('audit'), '_discardDeadLetter', { id: letter.id });
    assert.ok(!(await deadLetters()).items.some((l) => l.id === letter.id));
  });

  it('shows one dead letter with its message as it arrived, personal data redacted; a letter no longer dead is not_found', async () => {
    await system.databases
      .get('audit')!
      .db.query("INSERT INTO fail_next (account, remaining, mode) VALUES ('ann@example.com', 1, 'business')");
    await system.call(
      ledgerContract,
      'post',
      { account: 'ann@example.com', cents: 4321 },
      { idempotencyKey: 'inspect-1' },
    );
    const listed = await eventually(async () =>
      (await deadLetters()).items.find(
        (l) => l.reason.includes('rejected') && l.attempts === 1 && l.messageType === ledgerContract.events.Posted.type,
      ),
    );
    const letter = await system.call(systemContract('audit'), '_deadLetter', { id: listed.id });
    assert.deepEqual({ ...letter, message: undefined }, { ...listed, message: undefined });
    const message = letter.message as { type: string; data: { account: string; cents: number } };
    assert.equal(message.type, ledgerContract.events.Posted.type);
    assert.equal(message.data.cents, 4321);
    assert.equal(message.data.account, '[redacted]', 'an e-mail address is personal data');
    assert.doesNotMatch(JSON.stringify(letter), /ann@example\.com/);
    await system.call(systemContract('audit'), '_discardDeadLetter', { id: listed.id });
    await assert.rejects(
      system.call(systemContract('audit'), '_deadLetter', { id: listed.id }),
      (e: unknown) => e instanceof AppError && e.code === 'not_found',
    );
  });

  it('dead-letters a fault in the handler code (a TypeError) at once: retrying it would fail the same way', async () => {
    await system.databases
      .get('audit')!
      .db.query("INSERT INTO fail_next (account, remaining, mode) VALUES ('bugged', 1, 'bug')");
    await system.call(ledgerContract, 'post', { account: 'bugged', cents: 100 }, { idempotencyKey: 'bugged-1' });
    const letter = await eventually(async () =>
      (await deadLetters()).items.find((l) => l.reason.includes('audit cannot read entry')),
    );
    assert.equal(letter.attempts, 1);
    assert.match(letter.reason, /internal_error/);
  });

  it('a poison message (unparseable, or not matching the schema) is dead-lettered and the consumer goes on', async () => {
    const type = ledgerContract.events.Posted.type;
    await system.transport.publish({ destination: { kind: 'event', type }, messageId: 'poison-1', body: '{not json' });
    const invalid = newEnvelope({ type, version: 1, source: 'ledger', data: { entryId: 42, account: 'poison' } });
    await system.transport.publish({
      destination: { kind: 'event', type },
      messageId: invalid.id,
      body: JSON.stringify(invalid),
    });
    const letters = (await deadLetters()).items;
    assert.ok(
      letters.some((l) => l.reason.startsWith('unparseable message')),
      JSON.stringify(letters),
    );
    const schemaLetter = letters.find((l) => l.messageId === invalid.id);
    assert.ok(schemaLetter?.reason.includes('does not match'), JSON.stringify(schemaLetter));
    assert.equal(schemaLetter?.attempts, 1);
    // The consumer still consumes.
    await system.call(
      ledgerContract,
      'post',
      { account: 'after-poison', cents: 1 },
      { idempotencyKey: 'after-poison-1' },
    );
    await eventually(async () => (await auditRows('after-poison')) === 1);
  });

  it('counts dead letters in the metrics', async () => {
    const { body } = await system.runtime.metrics.render();
    assert.match(body, /simplebank_dead_letters\{service="audit"\} [1-9]/);
    assert.match(
      body,
      /simplebank_dead_lettered_total\{service="audit",consumer="audit\.ledger\.Posted\.v1",reason="(max_attempts|unprocessable)"\} [1-9]/,
    );
  });
});

describe('idempotent RPC methods', () => {
  it('answers a repeat with the same key and body with the first answer, and changes nothing', async () => {
    const first = await system.call(
      ledgerContract,
      'post',
      { account: 'idem', cents: 300 },
      { idempotencyKey: 'idem-1' },
    );
    const again = await system.call(
      ledgerContract,
      'post',
      { account: 'idem', cents: 300 },
      { idempotencyKey: 'idem-1' },
    );
    assert.deepEqual(again, first);
    assert.equal((await system.call(ledgerContract, 'balance', { account: 'idem' })).balance, 300);
  });

  it('refuses the same key with another body (409 idempotency_key_reused)', async () => {
    await system.call(ledgerContract, 'post', { account: 'idem2', cents: 300 }, { idempotencyKey: 'idem2-1' });
    await assert.rejects(
      system.call(ledgerContract, 'post', { account: 'idem2', cents: 301 }, { idempotencyKey: 'idem2-1' }),
      (e: unknown) => e instanceof AppError && e.code === 'idempotency_key_reused' && e.status === 409,
    );
  });

  it('runs concurrent calls with one key once', async () => {
    const calls = Array.from({ length: 8 }, () =>
      system.call(ledgerContract, 'post', { account: 'race', cents: 10 }, { idempotencyKey: 'race-1' }),
    );
    const answers = await Promise.all(calls);
    assert.equal(new Set(answers.map((a) => a.entryId)).size, 1);
    assert.equal((await system.call(ledgerContract, 'balance', { account: 'race' })).balance, 10);
    await eventually(async () => (await auditRows('race')) === 1);
  });

  it('keeps a business refusal as the answer to its key, with nothing written', async () => {
    const refuse = () =>
      system.call(ledgerContract, 'post', { account: 'poor', cents: -5 }, { idempotencyKey: 'poor-1' });
    await assert.rejects(
      refuse(),
      (e: unknown) => e instanceof AppError && e.code === 'insufficient_funds' && e.status === 422,
    );
    await assert.rejects(refuse(), (e: unknown) => e instanceof AppError && e.code === 'insufficient_funds');
    assert.equal((await system.call(ledgerContract, 'balance', { account: 'poor' })).balance, 0);
  });

  it('does not keep a fault in the code as the answer to its key: the same key runs again', async () => {
    const post = () =>
      system.call(ledgerContract, 'post', { account: 'bug:idem', cents: 70 }, { idempotencyKey: 'bug-idem-1' });
    await assert.rejects(
      post(),
      (e: unknown) => e instanceof AppError && e.code === 'internal_error' && e.status === 500 && !e.retryable,
    );
    assert.equal(
      (await system.call(ledgerContract, 'balance', { account: 'bug:idem' })).balance,
      0,
      'the failed call wrote nothing',
    );
    assert.equal((await post()).balance, 70);
    assert.equal((await post()).balance, 70, 'and its success is then the answer to the key');
  });

  it('a refusal its contract does not declare is a contract_violation under strict contracts (the tests), and goes through as it is otherwise', async () => {
    try {
      contractSettings.load({ SIMPLEBANK_STRICT_CONTRACTS: '1' });
      await assert.rejects(
        system.call(ledgerContract, 'post', { account: 'frozen', cents: 5 }, { idempotencyKey: 'frozen-1' }),
        (e: unknown) =>
          e instanceof AppError &&
          e.code === 'contract_violation' &&
          e.status === 500 &&
          /account_frozen/.test(e.message),
      );
      contractSettings.load({});
      await assert.rejects(
        system.call(ledgerContract, 'post', { account: 'frozen', cents: 5 }, { idempotencyKey: 'frozen-2' }),
        (e: unknown) => e instanceof AppError && e.code === 'account_frozen' && e.status === 422,
      );
    } finally {
      contractSettings.load(process.env);
    }
  });

  it('validates the request on both sides and refuses a state change without a key', async () => {
    // A request built outside the contract is the caller's bug (500), not its caller's mistake.
    await assert.rejects(
      system.call(ledgerContract, 'post', { account: '', cents: 1 } as never, { idempotencyKey: 'k' }),
      (e: unknown) =>
        e instanceof AppError &&
        e.code === 'contract_violation' &&
        e.status === 500 &&
        e.errors?.[0]?.path === '/account',
    );
    await assert.rejects(system.call(ledgerContract, 'post', { account: 'a', cents: 1 }), /pass an idempotencyKey/);
    // A caller that skips its own validation still meets the provider's.
    const raw = newEnvelope({
      type: 'ledger.post',
      version: 1,
      source: 'rogue',
      data: { account: 'a', cents: 'lots' },
      idempotencyKey: 'k2',
    });
    const reply = JSON.parse(await system.transport.request('ledger', JSON.stringify(raw), { timeoutMs: 2000 }));
    assert.equal(reply.ok, false);
    assert.equal(reply.error.code, 'validation_failed');
    assert.equal(reply.error.errors[0].path, '/cents');
  });

  it('does not start work whose deadline has passed', async () => {
    const raw = newEnvelope({
      type: 'ledger.balance',
      version: 1,
      source: 'late',
      data: { account: 'a' },
      cause: { correlationId: 'c', deadline: Date.now() - 1 },
    });
    const reply = JSON.parse(await system.transport.request('ledger', JSON.stringify(raw), { timeoutMs: 2000 }));
    assert.equal(reply.error.code, 'deadline_exceeded');
  });
});
