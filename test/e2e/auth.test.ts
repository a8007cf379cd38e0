/** Sign-up, login, refresh-token rotation and reuse detection, logout, profile — through the public API. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expectProblem, expectStatus, show, uniqueEmail, useSystem } from './system.ts';

const sys = useSystem();

describe('auth', () => {
  it('signs up a customer who can then log in and read their profile', async () => {
    const email = uniqueEmail('signup');
    const signup = await sys.http.post('/v1/auth/signup', {
      email,
      password: 'correct-horse-battery',
      name: 'Ada Lovelace',
    });
    expectStatus(signup, 201, 'signup');
    const { customer, accessToken, refreshToken, expiresIn } = signup.body;
    assert.equal(customer.email.toLowerCase(), email.toLowerCase());
    assert.equal(customer.name, 'Ada Lovelace');
    assert.equal(customer.role, 'customer');
    assert.equal(typeof customer.id, 'string');
    assert.equal(typeof customer.preferences, 'object', show(signup));
    assert.equal(typeof accessToken, 'string');
    assert.equal(typeof refreshToken, 'string');
    assert.equal(typeof expiresIn, 'number');
    assert.ok(!('password' in customer) && !('passwordHash' in customer), 'no password in the answer');

    const me = await sys.http.get('/v1/me', { token: accessToken });
    expectStatus(me, 200, 'me');
    assert.equal(me.body.id, customer.id);

    const login = await sys.http.post('/v1/auth/login', { email, password: 'correct-horse-battery' });
    expectStatus(login, 200, 'login');
    assert.equal(typeof login.body.accessToken, 'string');
    assert.equal(typeof login.body.refreshToken, 'string');
    const me2 = await sys.http.get('/v1/me', { token: login.body.accessToken });
    expectStatus(me2, 200, 'me with the login token');
    assert.equal(me2.body.id, customer.id);
  });

  it('refuses a second sign-up with the same e-mail, whatever its case (409 email_taken)', async () => {
    const email = uniqueEmail('dup');
    expectStatus(await sys.http.post('/v1/auth/signup', { email, password: 'correct-horse-battery', name: 'A' }), 201);
    expectProblem(
      await sys.http.post('/v1/auth/signup', { email, password: 'another-password-1', name: 'B' }),
      409,
      'email_taken',
    );
    expectProblem(
      await sys.http.post('/v1/auth/signup', { email: email.toUpperCase(), password: 'another-password-1', name: 'B' }),
      409,
      'email_taken',
    );
  });

  it('refuses a password shorter than 10 characters (400)', async () => {
    expectProblem(
      await sys.http.post('/v1/auth/signup', { email: uniqueEmail(), password: 'short', name: 'A' }),
      400,
      'validation_failed',
    );
  });

  it('answers wrong password and unknown e-mail alike: 401 invalid_credentials', async () => {
    const c = await sys.bank.signUp();
    const wrong = await sys.http.post('/v1/auth/login', { email: c.email, password: 'not-the-password' });
    const unknown = await sys.http.post('/v1/auth/login', {
      email: uniqueEmail('nobody'),
      password: 'not-the-password',
    });
    expectProblem(wrong, 401, 'invalid_credentials');
    expectProblem(unknown, 401, 'invalid_credentials');
    assert.equal(wrong.body.title, unknown.body.title);
    assert.equal(wrong.body.detail, unknown.body.detail);
  });

  it('rotates refresh tokens; a reused one is refused and revokes its family (the successor dies too)', async () => {
    const c = await sys.bank.signUp();
    const first = await sys.http.post('/v1/auth/refresh', { refreshToken: c.refreshToken });
    expectStatus(first, 200, 'refresh');
    const r1 = first.body.refreshToken as string;
    assert.notEqual(r1, c.refreshToken, 'the refresh token rotates');
    const me = await sys.http.get('/v1/me', { token: first.body.accessToken });
    expectStatus(me, 200, 'me with the refreshed access token');
    assert.equal(me.body.id, c.id);

    // The successor works once (and rotates again).
    const second = await sys.http.post('/v1/auth/refresh', { refreshToken: r1 });
    expectStatus(second, 200, 'refresh with the successor');
    const r2 = second.body.refreshToken as string;
    assert.notEqual(r2, r1);

    // Reuse of an already-rotated token: refused…
    expectProblem(
      await sys.http.post('/v1/auth/refresh', { refreshToken: r1 }),
      401,
      undefined,
      'reused refresh token',
    );
    // …and its live successor is dead too.
    expectProblem(
      await sys.http.post('/v1/auth/refresh', { refreshToken: r2 }),
      401,
      undefined,
      'successor after reuse',
    );
  });

  it('refuses the original refresh token reused right after the first rotation, and its successor', async () => {
    const c = await sys.bank.signUp();
    const first = await sys.http.post('/v1/auth/refresh', { refreshToken: c.refreshToken });
    expectStatus(first, 200, 'refresh');
    expectProblem(await sys.http.post('/v1/auth/refresh', { refreshToken: c.refreshToken }), 401, undefined, 'reused');
    expectProblem(
      await sys.http.post('/v1/auth/refresh', { refreshToken: first.body.refreshToken }),
      401,
      undefined,
      'successor',
    );
  });

  it('refuses an unknown refresh token (401)', async () => {
    expectProblem(await sys.http.post('/v1/auth/refresh', { refreshToken: 'no-such-token-0123456789' }), 401);
  });

  it('logs out: the refresh token is dead afterwards', async () => {
    const c = await sys.bank.signUp();
    const out = await sys.http.post('/v1/auth/logout', { refreshToken: c.refreshToken }, { token: c.accessToken });
    expectStatus(out, 204, 'logout');
    expectProblem(
      await sys.http.post('/v1/auth/refresh', { refreshToken: c.refreshToken }),
      401,
      undefined,
      'refresh after logout',
    );
  });

  it('keeps the refresh token in an httpOnly, SameSite=Strict cookie on /v1/auth too: refresh and logout work with the cookie alone', async () => {
    const c = await sys.bank.signUp();
    const login = await sys.http.post('/v1/auth/login', { email: c.email, password: c.password });
    expectStatus(login, 200, 'login');
    const setCookie = login.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /^simplebank_refresh=[^;]+;/);
    for (const attribute of ['Path=/v1/auth', 'HttpOnly', 'SameSite=Strict', 'Expires='])
      assert.ok(setCookie.includes(attribute), `${attribute} in ${setCookie}`);
    const cookie = (header: string) => header.split(';')[0]!;
    assert.equal(
      decodeURIComponent(cookie(setCookie).split('=')[1]!),
      login.body.refreshToken,
      'the cookie holds the same refresh token as the body',
    );

    // The cookie alone refreshes, and rotates: the new cookie is the new token.
    const refreshed = await sys.http.post(
      '/v1/auth/refresh',
      {},
      { headers: { cookie: cookie(setCookie) }, token: null },
    );
    expectStatus(refreshed, 200, 'refresh by cookie');
    const rotated = refreshed.headers.get('set-cookie') ?? '';
    assert.equal(decodeURIComponent(cookie(rotated).split('=')[1]!), refreshed.body.refreshToken);
    expectStatus(
      await sys.http.get('/v1/me', { token: refreshed.body.accessToken }),
      200,
      'the new access token works',
    );

    // Logout by cookie ends the session and clears the cookie.
    const out = await sys.http.post('/v1/auth/logout', {}, { headers: { cookie: cookie(rotated) }, token: null });
    expectStatus(out, 204, 'logout by cookie');
    assert.match(out.headers.get('set-cookie') ?? '', /^simplebank_refresh=; .*Max-Age=0/);
    expectProblem(
      await sys.http.post('/v1/auth/refresh', {}, { headers: { cookie: cookie(rotated) }, token: null }),
      401,
      'invalid_refresh_token',
      'refresh after logout',
    );
    // Neither body nor cookie: 401, not a crash.
    expectProblem(
      await sys.http.post('/v1/auth/refresh', {}, { token: null }),
      401,
      'invalid_refresh_token',
      'no refresh token at all',
    );
    expectProblem(
      await sys.http.post('/v1/auth/refresh', undefined, { token: null }),
      401,
      'invalid_refresh_token',
      'no body and no cookie',
    );
  });

  it('logout ends the access tokens of its session at once; another session of the customer keeps working', async () => {
    const c = await sys.bank.signUp();
    const other = await sys.http.post('/v1/auth/login', { email: c.email, password: c.password });
    expectStatus(other, 200, 'second login');
    expectStatus(await sys.http.get('/v1/me', { token: c.accessToken }), 200, 'me before logout');
    expectStatus(await sys.http.post('/v1/auth/logout', { refreshToken: c.refreshToken }), 204, 'logout');
    expectProblem(
      await sys.http.get('/v1/me', { token: c.accessToken }),
      401,
      'unauthorized',
      'the logged-out access token',
    );
    expectStatus(await sys.http.get('/v1/me', { token: other.body.accessToken }), 200, 'the other session');
  });

  it('refresh-token reuse ends every access token of the family at once; another session keeps working', async () => {
    const c = await sys.bank.signUp();
    const other = await sys.http.post('/v1/auth/login', { email: c.email, password: c.password });
    expectStatus(other, 200, 'second login');
    const first = await sys.http.post('/v1/auth/refresh', { refreshToken: c.refreshToken });
    expectStatus(first, 200, 'refresh');
    expectStatus(await sys.http.get('/v1/me', { token: first.body.accessToken }), 200, 'me with the refreshed token');
    expectProblem(await sys.http.post('/v1/auth/refresh', { refreshToken: c.refreshToken }), 401, undefined, 'reuse');
    expectProblem(
      await sys.http.get('/v1/me', { token: c.accessToken }),
      401,
      'unauthorized',
      'the first access token of the family',
    );
    expectProblem(
      await sys.http.get('/v1/me', { token: first.body.accessToken }),
      401,
      'unauthorized',
      'the refreshed access token of the family',
    );
    expectStatus(await sys.http.get('/v1/me', { token: other.body.accessToken }), 200, 'the other session');
  });

  it('updates the profile name and preferences (PATCH /v1/me)', async () => {
    const c = await sys.bank.signUp();
    const res = await c.http.patch('/v1/me', { name: 'Grace Hopper', preferences: { email: false, sms: true } });
    expectStatus(res, 200, 'patch me');
    assert.equal(res.body.name, 'Grace Hopper');
    assert.equal(res.body.preferences.email, false);
    assert.equal(res.body.preferences.sms, true);
    const me = await c.http.get('/v1/me');
    assert.equal(me.body.name, 'Grace Hopper');
    assert.equal(me.body.preferences.sms, true);
  });

  it('lets the development admin log in with role admin', async () => {
    const admin = await sys.bank.adminLogin();
    const me = await admin.http.get('/v1/me');
    expectStatus(me, 200, 'admin me');
    assert.equal(me.body.role, 'admin');
  });
});
