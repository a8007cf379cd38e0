import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AppError, ConfigError, startAllInOne } from '@simplebank/chassis';
import { startTestService, type TestService } from '@simplebank/chassis/testing';
import { customersContract } from '../src/contract.ts';
import { customersService } from '../src/service.ts';
import { customersSettings, DEV_ADMIN_EMAIL, DEV_ADMIN_PASSWORD } from '../src/settings.ts';

const isError = (code: string, status: number) => (e: unknown) => {
  assert.ok(e instanceof AppError, `expected an AppError, got ${String(e)}`);
  assert.equal(e.code, code);
  assert.equal(e.status, status);
  return true;
};

describe('customers', () => {
  let svc: TestService;
  before(async () => {
    customersSettings.load({});
    svc = await startTestService(customersService);
  });
  after(async () => {
    await svc.stop();
  });

  const signup = (email: string, name = 'Ada Lovelace', password = 'correct horse battery') =>
    svc.call(customersContract, 'signup', { email, password, name });

  it('signs a customer up with default preferences, and refuses the same email in any case', async () => {
    const c = await signup('Ada@Example.com');
    assert.equal(c.email, 'ada@example.com');
    assert.equal(c.role, 'customer');
    assert.deepEqual(c.preferences, { email: true, sms: false, push: false });
    assert.equal('passwordHash' in c, false);
    await assert.rejects(signup('ADA@example.COM', 'Someone else'), isError('email_taken', 409));
    const { rows } = await svc.database.db.query<{ n: string }>(
      "SELECT count(*)::text AS n FROM customers WHERE lower(email) = 'ada@example.com'",
    );
    assert.equal(rows[0]!.n, '1');
  });

  it('stores only a salted scrypt hash of the password', async () => {
    const c = await signup('hash@example.com', 'H', 'correct horse battery');
    const { rows } = await svc.database.db.query<{ password_hash: string }>(
      'SELECT password_hash FROM customers WHERE id = $1',
      [c.id],
    );
    assert.match(rows[0]!.password_hash, /^scrypt\$16384\$8\$1\$[\w-]+\$[\w-]+$/);
    assert.ok(!rows[0]!.password_hash.includes('correct horse'));
  });

  it('publishes CustomerRegistered through the outbox', async () => {
    const c = await signup('events@example.com', 'Eve');
    const { rows } = await svc.database.db.query<{ body: string }>(
      'SELECT body FROM chassis_outbox WHERE destination = $1',
      [customersContract.events.CustomerRegistered.type],
    );
    const registered = rows.map((r) => JSON.parse(r.body).data).filter((d) => d.customerId === c.id);
    // With the contact details, which notifications keeps a copy of (decision 23).
    assert.deepEqual(registered, [
      {
        customerId: c.id,
        name: 'Eve',
        role: 'customer',
        preferences: { email: true, sms: false, push: false },
        email: 'events@example.com',
        phone: null,
      },
    ]);
  });

  it('verifies credentials; a wrong password and an unknown email get the same answer', async () => {
    const c = await signup('grace@example.com', 'Grace', 'a very long password');
    assert.deepEqual(
      await svc.call(customersContract, 'verifyCredentials', {
        email: 'GRACE@example.com',
        password: 'a very long password',
      }),
      { customerId: c.id, role: 'customer' },
    );
    let wrong: AppError | undefined;
    let unknown: AppError | undefined;
    await svc
      .call(customersContract, 'verifyCredentials', { email: 'grace@example.com', password: 'not the password' })
      .catch((e) => (wrong = e));
    await svc
      .call(customersContract, 'verifyCredentials', { email: 'nobody@example.com', password: 'a very long password' })
      .catch((e) => (unknown = e));
    assert.ok(wrong && unknown);
    assert.equal(wrong.code, 'invalid_credentials');
    assert.equal(wrong.status, 401);
    assert.deepEqual(
      { code: unknown.code, status: unknown.status, message: unknown.message },
      { code: wrong.code, status: wrong.status, message: wrong.message },
    );
  });

  it('a customer sees and updates only themself; another customer is not_found', async () => {
    const a = await signup('a@example.com', 'A');
    const b = await signup('b@example.com', 'B');
    const asA = svc.callAs({ customerId: a.id, role: 'customer' });
    assert.equal((await asA(customersContract, 'getCustomer', { customerId: a.id })).name, 'A');
    await assert.rejects(asA(customersContract, 'getCustomer', { customerId: b.id }), isError('not_found', 404));
    await assert.rejects(
      asA(customersContract, 'updateProfile', { customerId: b.id, name: 'hacked' }),
      isError('not_found', 404),
    );
    await assert.rejects(
      asA(customersContract, 'getCustomer', { customerId: 'not-a-uuid' }),
      isError('not_found', 404),
    );
    assert.equal(
      (await svc.callAs({ customerId: 'x', role: 'admin' })(customersContract, 'getCustomer', { customerId: b.id }))
        .name,
      'B',
    );
    assert.equal((await svc.call(customersContract, 'getCustomer', { customerId: b.id })).name, 'B');

    const updated = await asA(customersContract, 'updateProfile', {
      customerId: a.id,
      name: 'A. Person',
      preferences: { sms: true },
    });
    assert.equal(updated.name, 'A. Person');
    assert.deepEqual(updated.preferences, { email: true, sms: true, push: false });
    assert.deepEqual((await asA(customersContract, 'getCustomer', { customerId: a.id })).preferences, {
      email: true,
      sms: true,
      push: false,
    });
    assert.equal(
      (await svc.call(customersContract, 'getCustomer', { customerId: b.id })).name,
      'B',
      'the other customer is unchanged',
    );
    const { rows } = await svc.database.db.query<{ body: string }>(
      'SELECT body FROM chassis_outbox WHERE destination = $1',
      [customersContract.events.CustomerUpdated.type],
    );
    assert.deepEqual(
      rows.map((r) => JSON.parse(r.body).data),
      [
        {
          customerId: a.id,
          name: 'A. Person',
          preferences: { email: true, sms: true, push: false },
          email: 'a@example.com',
          phone: null,
        },
      ],
    );
  });

  it('keeps a mobile number (E.164) given with the profile, until it is removed; a malformed one is refused', async () => {
    const c = await signup('phone@example.com', 'P');
    const asC = svc.callAs({ customerId: c.id, role: 'customer' });
    assert.equal(c.phone, null);
    assert.equal(
      (await asC(customersContract, 'updateProfile', { customerId: c.id, phone: '+15550100123' })).phone,
      '+15550100123',
    );
    const named = await asC(customersContract, 'updateProfile', { customerId: c.id, name: 'Pat' });
    assert.deepEqual([named.name, named.phone], ['Pat', '+15550100123'], 'a change without phone keeps it');
    // Outside the contract: the caller refuses to send it (the gateway answers the client 400 before that).
    await assert.rejects(
      asC(customersContract, 'updateProfile', { customerId: c.id, phone: '555-0100' }),
      (e: { code?: string }) => e.code === 'contract_violation',
    );
    assert.equal((await asC(customersContract, 'getCustomer', { customerId: c.id })).phone, '+15550100123');
    assert.equal((await asC(customersContract, 'updateProfile', { customerId: c.id, phone: null })).phone, null);
    const { rows } = await svc.database.db.query<{ body: string }>(
      'SELECT body FROM chassis_outbox WHERE destination = $1 ORDER BY id',
      [customersContract.events.CustomerUpdated.type],
    );
    const phones = rows
      .map((r) => JSON.parse(r.body).data)
      .filter((d) => d.customerId === c.id)
      .map((d) => d.phone);
    assert.deepEqual(phones, ['+15550100123', '+15550100123', null]);
  });

  it('rotates refresh tokens: each use spends the old one and gives a new one of the same session', async () => {
    const c = await signup('rotate@example.com');
    const first = await svc.call(customersContract, 'startSession', { customerId: c.id });
    assert.match(first.refreshToken, /^[\w-]{43}$/);
    assert.ok(new Date(first.expiresAt).getTime() > Date.now() + 6 * 24 * 3600 * 1000);
    const second = await svc.call(customersContract, 'refreshSession', { refreshToken: first.refreshToken });
    assert.equal(second.customerId, c.id);
    assert.equal(second.role, 'customer');
    assert.notEqual(second.refreshToken, first.refreshToken);
    const third = await svc.call(customersContract, 'refreshSession', { refreshToken: second.refreshToken });
    assert.equal(third.customerId, c.id);
    const { rows } = await svc.database.db.query<{ token_hash: string }>('SELECT token_hash FROM refresh_tokens');
    assert.ok(
      rows.every((r) => /^[0-9a-f]{64}$/.test(r.token_hash)),
      'only hashes are stored',
    );
    assert.ok(rows.every((r) => r.token_hash !== first.refreshToken));
  });

  it('a spent refresh token presented again is refused and revokes its whole family, the successor included', async () => {
    const c = await signup('reuse@example.com');
    const other = await svc.call(customersContract, 'startSession', { customerId: c.id });
    const first = await svc.call(customersContract, 'startSession', { customerId: c.id });
    const successor = await svc.call(customersContract, 'refreshSession', { refreshToken: first.refreshToken });
    await assert.rejects(
      svc.call(customersContract, 'refreshSession', { refreshToken: first.refreshToken }),
      isError('invalid_refresh_token', 401),
    );
    await assert.rejects(
      svc.call(customersContract, 'refreshSession', { refreshToken: successor.refreshToken }),
      isError('invalid_refresh_token', 401),
    );
    // Another session (another family) of the same customer is untouched.
    assert.equal(
      (await svc.call(customersContract, 'refreshSession', { refreshToken: other.refreshToken })).customerId,
      c.id,
    );
  });

  it('an unknown refresh token is refused', async () => {
    await assert.rejects(
      svc.call(customersContract, 'refreshSession', { refreshToken: 'no-such-token' }),
      isError('invalid_refresh_token', 401),
    );
  });

  it('endSession revokes the session: its token no longer refreshes', async () => {
    const c = await signup('logout@example.com');
    const s = await svc.call(customersContract, 'startSession', { customerId: c.id });
    const next = await svc.call(customersContract, 'refreshSession', { refreshToken: s.refreshToken });
    assert.deepEqual(await svc.call(customersContract, 'endSession', { refreshToken: next.refreshToken }), {});
    await assert.rejects(
      svc.call(customersContract, 'refreshSession', { refreshToken: next.refreshToken }),
      isError('invalid_refresh_token', 401),
    );
    assert.deepEqual(
      await svc.call(customersContract, 'endSession', { refreshToken: 'unknown' }),
      {},
      'logout of an unknown token is quiet',
    );
  });

  it('a customer opens sessions only for themself', async () => {
    const a = await signup('sa@example.com');
    const b = await signup('sb@example.com');
    await assert.rejects(
      svc.callAs({ customerId: a.id, role: 'customer' })(customersContract, 'startSession', { customerId: b.id }),
      isError('not_found', 404),
    );
  });

  it('bootstraps the first admin from the development defaults', async () => {
    const admin = await svc.call(customersContract, 'verifyCredentials', {
      email: DEV_ADMIN_EMAIL,
      password: DEV_ADMIN_PASSWORD,
    });
    assert.equal(admin.role, 'admin');
    const profile = await svc.call(customersContract, 'getCustomer', { customerId: admin.customerId });
    assert.equal(profile.email, DEV_ADMIN_EMAIL);
  });
});

describe('customers settings', () => {
  after(() => {
    customersSettings.load({});
  });

  it('bootstraps the configured admin once, even across restarts', async () => {
    customersSettings.load({
      SIMPLEBANK_ADMIN_EMAIL: 'Boss@Example.com',
      SIMPLEBANK_ADMIN_PASSWORD: 'boss-password-123',
    });
    const first = await startTestService(customersService);
    const database = first.database;
    try {
      const admin = await first.call(customersContract, 'verifyCredentials', {
        email: 'boss@example.com',
        password: 'boss-password-123',
      });
      assert.equal(admin.role, 'admin');
      await assert.rejects(
        first.call(customersContract, 'verifyCredentials', { email: DEV_ADMIN_EMAIL, password: DEV_ADMIN_PASSWORD }),
        isError('invalid_credentials', 401),
      );
      await first.host.stop();
      const second = await startTestService(customersService, { database });
      await second.stop();
      const { rows } = await database.db.query<{ n: string }>(
        "SELECT count(*)::text AS n FROM customers WHERE role = 'admin'",
      );
      assert.equal(rows[0]!.n, '1');
    } finally {
      await first.stop();
      await database.drop();
    }
  });

  it('in production, a missing admin email or password refuses the start (ConfigError)', async () => {
    assert.throws(
      () => customersSettings.load({ NODE_ENV: 'production', SIMPLEBANK_ADMIN_EMAIL: 'boss@example.com' }),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, /SIMPLEBANK_ADMIN_PASSWORD/);
        assert.doesNotMatch(e.message, /SIMPLEBANK_ADMIN_EMAIL/);
        return true;
      },
    );
    await assert.rejects(
      startAllInOne({ services: [customersService], environment: { NODE_ENV: 'production' } }),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, /SIMPLEBANK_ADMIN_EMAIL/);
        assert.match(e.message, /SIMPLEBANK_ADMIN_PASSWORD/);
        return true;
      },
    );
    const ok = customersSettings.load({
      NODE_ENV: 'production',
      SIMPLEBANK_ADMIN_EMAIL: 'boss@example.com',
      SIMPLEBANK_ADMIN_PASSWORD: 'boss-password-123',
    });
    assert.equal(ok.SIMPLEBANK_ADMIN_EMAIL, 'boss@example.com');
  });
});
