/** Sign-up, login, refresh, logout; access tokens refused when missing, forged or expired; admin routes. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { startGateway, token, type Gateway } from './helpers.ts';
import { ADMIN, ALICE, world } from './stubs.ts';

describe('gateway authentication', () => {
  let gw: Gateway;
  let w: ReturnType<typeof world>;
  before(async () => {
    w = world();
    gw = await startGateway(w.stubs);
  });
  after(() => gw.stop());

  it('signs up: 201 with the customer, an access token for them and a refresh token', async () => {
    const r = await gw.request('POST', '/v1/auth/signup', {
      body: { email: 'new@example.com', password: 'long enough pw', name: 'New' },
    });
    assert.equal(r.status, 201);
    assert.equal(r.body.customer.id, 'c-new');
    assert.equal(r.body.customer.email, 'new@example.com');
    assert.equal(r.body.expiresIn, 900);
    assert.match(r.body.refreshToken, /^rt-/);
    const claims = decodeJwt(r.body.accessToken);
    assert.equal(claims.sub, 'c-new');
    assert.equal(claims.role, 'customer');
    assert.ok(typeof claims.jti === 'string' && claims.jti.length > 0);
    assert.ok(claims.exp! - Math.floor(Date.now() / 1000) <= 900);
    // The token works.
    const me = await gw.request('GET', '/v1/me', { token: r.body.accessToken });
    assert.equal(me.status, 200);
    assert.deepEqual(w.last('getCustomer')!.envelope.identity, { customerId: 'c-new', role: 'customer' });
    assert.deepEqual(w.last('startSession')!.request, { customerId: 'c-new' });
  });

  it('refuses a short password (400) and a taken email (409 email_taken)', async () => {
    const short = await gw.request('POST', '/v1/auth/signup', {
      body: { email: 'x@example.com', password: 'short', name: 'X' },
    });
    assert.equal(short.status, 400);
    assert.equal(short.body.code, 'validation_failed');
    assert.ok(short.body.errors.some((e: { path: string }) => e.path.includes('password')));
    const taken = await gw.request('POST', '/v1/auth/signup', {
      body: { email: 'taken@example.com', password: 'long enough pw', name: 'X' },
    });
    assert.equal(taken.status, 409);
    assert.equal(taken.body.code, 'email_taken');
    assert.match(taken.headers.get('content-type')!, /^application\/problem\+json/);
  });

  it('logs in, refreshes (the refresh token rotates) and logs out', async () => {
    const login = await gw.request('POST', '/v1/auth/login', {
      body: { email: 'alice@example.com', password: 'correct horse battery' },
    });
    assert.equal(login.status, 200);
    assert.equal(decodeJwt(login.body.accessToken).sub, ALICE);
    assert.equal(login.body.expiresIn, 900);

    const refreshed = await gw.request('POST', '/v1/auth/refresh', { body: { refreshToken: login.body.refreshToken } });
    assert.equal(refreshed.status, 200);
    assert.notEqual(refreshed.body.refreshToken, login.body.refreshToken);
    assert.equal(decodeJwt(refreshed.body.accessToken).sub, ALICE);

    const reused = await gw.request('POST', '/v1/auth/refresh', { body: { refreshToken: login.body.refreshToken } });
    assert.equal(reused.status, 401);
    assert.equal(reused.body.code, 'invalid_refresh_token');

    const out = await gw.request('POST', '/v1/auth/logout', { body: { refreshToken: refreshed.body.refreshToken } });
    assert.equal(out.status, 204);
    assert.equal(out.text, '');
    assert.equal(w.sessions.has(refreshed.body.refreshToken), false);
  });

  it('refuses the access tokens of a session ended by logout or by refresh-token reuse; other sessions keep working', async () => {
    const login = () =>
      gw.request('POST', '/v1/auth/login', { body: { email: 'alice@example.com', password: 'correct horse battery' } });
    const me = (accessToken: string) => gw.request('GET', '/v1/me', { token: accessToken });
    const a = await login();
    const b = await login();
    assert.notEqual(
      decodeJwt(a.body.accessToken).sid,
      decodeJwt(b.body.accessToken).sid,
      'each login is a session of its own',
    );
    assert.equal((await me(a.body.accessToken)).status, 200);
    assert.equal((await me(b.body.accessToken)).status, 200);
    // Checked once per session, then cached: not one call to customers per request.
    const checks = () => w.seen.filter((s) => s.method === 'sessionActive').length;
    const before = checks();
    assert.equal((await me(a.body.accessToken)).status, 200);
    assert.equal(checks(), before);

    assert.equal(
      (await gw.request('POST', '/v1/auth/logout', { body: { refreshToken: a.body.refreshToken } })).status,
      204,
    );
    const after = await me(a.body.accessToken);
    assert.equal(after.status, 401);
    assert.equal(after.body.code, 'unauthorized');
    assert.equal((await me(b.body.accessToken)).status, 200, 'the other session');

    // Reuse detection: the family's access tokens (before and after the rotation) end.
    const c = await login();
    const rotated = await gw.request('POST', '/v1/auth/refresh', { body: { refreshToken: c.body.refreshToken } });
    assert.equal(rotated.status, 200);
    assert.equal((await me(rotated.body.accessToken)).status, 200);
    assert.equal(
      (await gw.request('POST', '/v1/auth/refresh', { body: { refreshToken: c.body.refreshToken } })).status,
      401,
    );
    assert.equal((await me(c.body.accessToken)).status, 401);
    assert.equal((await me(rotated.body.accessToken)).status, 401);
    assert.equal((await me(b.body.accessToken)).status, 200, 'the other session');
  });

  it('refuses an access token without a session (sid) claim', async () => {
    const { SignJWT } = await import('jose');
    const { DEVELOPMENT_JWT_SECRET } = await import('../src/settings.ts');
    const { ISSUER, AUDIENCE } = await import('../src/http/auth.ts');
    const bare = await new SignJWT({ role: 'customer' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(ALICE)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setJti('j-1')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(DEVELOPMENT_JWT_SECRET));
    assert.equal((await gw.request('GET', '/v1/me', { token: bare })).status, 401);
  });

  it('answers a wrong password with 401 invalid_credentials', async () => {
    const r = await gw.request('POST', '/v1/auth/login', {
      body: { email: 'alice@example.com', password: 'wrong password!' },
    });
    assert.equal(r.status, 401);
    assert.equal(r.body.code, 'invalid_credentials');
  });

  it('refuses a request without a token, with a forged one, an expired one or a malformed header: 401 problem', async () => {
    const forged = await token(ALICE, 'customer', { secret: 'another-secret-another-secret-another-secret' });
    const expired = await token(ALICE, 'customer', { expiresAt: Math.floor(Date.now() / 1000) - 60 });
    const cases: Array<Record<string, string>> = [
      {},
      { authorization: `Bearer ${forged}` },
      { authorization: `Bearer ${expired}` },
      { authorization: 'Basic abc' },
      { authorization: 'Bearer not.a.jwt' },
    ];
    for (const headers of cases) {
      const r = await gw.request('GET', '/v1/accounts', { headers });
      assert.equal(r.status, 401, JSON.stringify(headers));
      assert.equal(r.body.code, 'unauthorized');
      assert.match(r.headers.get('content-type')!, /^application\/problem\+json/);
    }
    assert.equal(w.seen.filter((s) => s.method === 'listAccounts').length, 0);
  });

  it('refuses a token that was accepted once it expires (a verified token is not trusted past its expiry)', async () => {
    // Expires at the next whole second but one: accepted now, refused after it.
    const expiresAt = Math.floor(Date.now() / 1000) + 2;
    const soon = await token(ALICE, 'customer', { expiresAt });
    assert.equal((await gw.request('GET', '/v1/accounts', { token: soon })).status, 200);
    assert.equal((await gw.request('GET', '/v1/accounts', { token: soon })).status, 200);
    await new Promise((resolve) => setTimeout(resolve, expiresAt * 1000 - Date.now() + 50));
    const r = await gw.request('GET', '/v1/accounts', { token: soon });
    assert.equal(r.status, 401);
    assert.match(r.body.detail, /expired/);
  });

  it('refuses a customer on /v1/admin/* with 403, and lets an admin through', async () => {
    const customer = await token(ALICE);
    const r = await gw.request('GET', '/v1/admin/ledger/trial-balance', { token: customer });
    assert.equal(r.status, 403);
    assert.equal(r.body.code, 'forbidden');
    const put = await gw.request('PUT', '/v1/admin/fees/schedule', {
      token: customer,
      body: { minimum: '2.00', rate: '0.002' },
    });
    assert.equal(put.status, 403);
    assert.equal(w.seen.filter((s) => s.method === 'setSchedule').length, 0);

    const admin = await token(ADMIN, 'admin');
    const ok = await gw.request('GET', '/v1/admin/ledger/trial-balance', { token: admin });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body, { balanced: true, assets: [{ asset: 'USD', total: '0.00' }] });
    assert.deepEqual(w.last('trialBalance')!.envelope.identity, { customerId: ADMIN, role: 'admin' });
    const schedule = await gw.request('PUT', '/v1/admin/fees/schedule', {
      token: admin,
      body: { minimum: '2.00', rate: '0.002' },
    });
    assert.equal(schedule.status, 200);
    assert.deepEqual(schedule.body, { minimum: '2.00', rate: '0.002', effectiveFrom: '2026-11-22T10:15:30.123Z' });
  });

  it('refuses /v1/admin/* without a token with 401', async () => {
    const r = await gw.request('GET', '/v1/admin/dead-letters');
    assert.equal(r.status, 401);
  });
});
