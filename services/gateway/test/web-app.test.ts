/**
 * The web app's serving (decision 0027): built files and the app's own paths answer, with the CSP;
 * the SPA fallback is a closed list, so API paths and unknown paths stay 404s.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { WEB_APP_CSP, hasWebApp, webAppRoutes } from '../src/http/web-app.ts';

let dir: string;
let app: FastifyInstance;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'simplebank-web-'));
  await mkdir(join(dir, 'assets'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>SimpleBank</title>');
  await writeFile(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
  app = Fastify();
  app.get('/v1/me', async () => ({ me: true }));
  await app.register(async (scope) => webAppRoutes(scope, dir));
});

after(async () => {
  await app.close();
  await rm(dir, { recursive: true, force: true });
});

test('index.html at / and at the app paths, never cached, with the CSP and the other security headers', async () => {
  for (const url of [
    '/',
    '/accounts',
    '/orders/some-order',
    '/login',
    '/admin',
    '/admin/dead-letters',
    '/operations',
    '/operations/sagas',
    '/operations/sagas/orders/some-order',
  ]) {
    const res = await app.inject({ url });
    assert.equal(res.statusCode, 200, url);
    assert.match(res.headers['content-type'] as string, /text\/html/);
    assert.match(res.body, /SimpleBank/);
    assert.equal(res.headers['cache-control'], 'no-cache', url);
    assert.equal(res.headers['content-security-policy'], WEB_APP_CSP);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['x-frame-options'], 'DENY');
  }
  assert.match(WEB_APP_CSP, /default-src 'self'/);
  assert.doesNotMatch(WEB_APP_CSP, /unsafe/);
});

test('hashed assets are cached for good', async () => {
  const res = await app.inject({ url: '/assets/index-abc123.js' });
  assert.equal(res.statusCode, 200);
  assert.match(res.headers['cache-control'] as string, /immutable/);
});

test('the fallback shadows nothing: API routes answer, unknown and API-like paths are 404s', async () => {
  assert.deepEqual((await app.inject({ url: '/v1/me' })).json(), { me: true });
  for (const url of [
    '/v1/unknown',
    '/graphql/x',
    '/metrics/x',
    '/health/x',
    '/nope',
    '/assets/missing.js',
    '/orders/a/b',
    '/admin/unknown',
    '/operations/sagas/orders/a/b',
  ]) {
    assert.equal((await app.inject({ url })).statusCode, 404, url);
  }
});

test('a folder without index.html is no web app', () => {
  assert.equal(hasWebApp(undefined), false);
  assert.equal(hasWebApp(join(dir, 'assets')), false);
  assert.equal(hasWebApp(dir), true);
});
