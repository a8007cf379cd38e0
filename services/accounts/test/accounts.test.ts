import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { AppError } from '@simplebank/chassis';
import { startTestService, type TestService } from '@simplebank/chassis/testing';
import { accountsContract } from '../src/contract.ts';
import { accountsService } from '../src/service.ts';

const isError = (code: string, status: number) => (e: unknown) => {
  assert.ok(e instanceof AppError, `expected an AppError, got ${String(e)}`);
  assert.equal(e.code, code);
  assert.equal(e.status, status);
  return true;
};

describe('accounts', () => {
  let svc: TestService;
  before(async () => {
    svc = await startTestService(accountsService);
  });
  after(async () => {
    await svc.stop();
  });

  const customer = () => {
    const customerId = randomUUID();
    return { customerId, call: svc.callAs({ customerId, role: 'customer' }) };
  };

  it('opens an account owned by the caller, and gets it back', async () => {
    const alice = customer();
    const opened = await alice.call(accountsContract, 'openAccount', { name: 'Savings' });
    assert.equal(opened.ownerId, alice.customerId);
    assert.equal(opened.name, 'Savings');
    assert.equal(opened.currency, 'USD');
    assert.equal(opened.status, 'open');
    assert.deepEqual(await alice.call(accountsContract, 'getAccount', { accountId: opened.id }), opened);
  });

  it('publishes AccountOpened through the outbox', async () => {
    const alice = customer();
    const opened = await alice.call(accountsContract, 'openAccount', { name: 'Pension' });
    const { rows } = await svc.database.db.query<{ body: string; aggregate_key: string }>(
      'SELECT body, aggregate_key FROM chassis_outbox WHERE destination = $1',
      [accountsContract.events.AccountOpened.type],
    );
    const mine = rows.filter((r) => JSON.parse(r.body).data.accountId === opened.id);
    assert.equal(mine.length, 1);
    assert.equal(mine[0]!.aggregate_key, opened.id);
    assert.deepEqual(JSON.parse(mine[0]!.body).data, {
      accountId: opened.id,
      ownerId: alice.customerId,
      name: 'Pension',
      currency: 'USD',
      openedAt: opened.createdAt,
    });
  });

  it("another customer's account is not_found, for get and in lists; admins and services see it", async () => {
    const alice = customer();
    const bob = customer();
    const a = await alice.call(accountsContract, 'openAccount', { name: 'Alice' });
    await assert.rejects(bob.call(accountsContract, 'getAccount', { accountId: a.id }), isError('not_found', 404));
    await assert.rejects(
      bob.call(accountsContract, 'getAccount', { accountId: randomUUID() }),
      isError('not_found', 404),
    );
    await assert.rejects(
      bob.call(accountsContract, 'getAccount', { accountId: 'nonsense' }),
      isError('not_found', 404),
    );
    assert.deepEqual(await bob.call(accountsContract, 'listAccounts', {}), { items: [], nextCursor: null });
    assert.equal(
      (await svc.callAs({ customerId: 'staff', role: 'admin' })(accountsContract, 'getAccount', { accountId: a.id }))
        .id,
      a.id,
    );
    assert.equal((await svc.call(accountsContract, 'getAccount', { accountId: a.id })).id, a.id);
  });

  it('gets several accounts in one call, in the order asked, null where getAccount would answer not_found', async () => {
    const alice = customer();
    const bob = customer();
    const a1 = await alice.call(accountsContract, 'openAccount', { name: 'One' });
    const a2 = await alice.call(accountsContract, 'openAccount', { name: 'Two' });
    const b = await bob.call(accountsContract, 'openAccount', { name: 'Bob' });
    const { items } = await alice.call(accountsContract, 'getAccounts', {
      accountIds: [a2.id, b.id, randomUUID(), 'nonsense', a1.id],
    });
    assert.deepEqual(items, [a2, null, null, null, a1]);
    const asAdmin = await svc.callAs({ customerId: 'staff', role: 'admin' })(accountsContract, 'getAccounts', {
      accountIds: [b.id, a1.id],
    });
    assert.deepEqual(
      asAdmin.items.map((x) => x?.id),
      [b.id, a1.id],
    );
  });

  it('lists own accounts newest first, page by page', async () => {
    const alice = customer();
    const names = ['one', 'two', 'three', 'four', 'five'];
    for (const name of names) await alice.call(accountsContract, 'openAccount', { name });
    // Their positions made to cross from eight digits to nine: pages order by number, not text.
    await svc.database.db.query(
      `UPDATE accounts a SET seq = 99999997 + n FROM (SELECT id, row_number() OVER (ORDER BY seq) AS n FROM accounts WHERE owner_id = $1) o WHERE a.id = o.id`,
      [alice.customerId],
    );
    await customer().call(accountsContract, 'openAccount', { name: 'not hers' });
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await alice.call(accountsContract, 'listAccounts', { limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((a) => a.name));
      assert.ok(page.items.every((a) => a.ownerId === alice.customerId));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    assert.deepEqual(seen, ['five', 'four', 'three', 'two', 'one']);
    assert.equal(pages, 3);
    assert.equal((await alice.call(accountsContract, 'listAccounts', {})).items.length, 5);
    await assert.rejects(
      alice.call(accountsContract, 'listAccounts', { cursor: 'garbage' }),
      isError('validation_failed', 400),
    );
  });

  it('staff and services cannot open accounts for themselves', async () => {
    await assert.rejects(
      svc.callAs({ customerId: 'staff', role: 'admin' })(accountsContract, 'openAccount', { name: 'x' }),
      isError('forbidden', 403),
    );
    await assert.rejects(svc.call(accountsContract, 'openAccount', { name: 'x' }), isError('forbidden', 403));
    const { rows } = await svc.database.db.query<{ n: string }>(
      "SELECT count(*)::text AS n FROM accounts WHERE owner_id IN ('staff', 'test')",
    );
    assert.equal(rows[0]!.n, '0');
  });
});
