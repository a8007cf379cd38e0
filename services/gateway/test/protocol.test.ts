/**
 * The edges of HTTP: whatever the request — one the HTTP parser refuses, a path outside /v1, bad
 * percent-encoding, a URL too long — the answer is problem details with an X-Request-Id.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startGateway, token, type Gateway } from './helpers.ts';
import { ALICE, world } from './stubs.ts';

/** Sends raw bytes; resolves with the raw answer once the server closes the connection (or after a while). */
function raw(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(bytes));
    let answer = '';
    socket.on('data', (c) => (answer += c));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
    setTimeout(() => socket.destroy(), 3000).unref();
  });
}

function parse(answer: string) {
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = new Map(
    lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
  );
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

function assertProblem(a: { status: number; headers: Map<string, string> | Headers; body: any }, status: number) {
  assert.equal(a.status, status);
  assert.match(a.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.ok(a.headers.get('x-request-id'), 'X-Request-Id');
  const body = typeof a.body === 'string' ? JSON.parse(a.body) : a.body;
  assert.equal(body.status, status);
  assert.equal(typeof body.code, 'string');
  assert.equal(typeof body.title, 'string');
  assert.ok(String(body.type).startsWith('https://simplebank.dev/problems/'), body.type);
  return body;
}

describe('gateway: protocol edges', () => {
  let gw: Gateway;
  before(async () => {
    gw = await startGateway(world().stubs);
  });
  after(() => gw.stop());

  it('answers what the HTTP parser refuses (bad method, bad framing, oversized headers) with problem details and Connection: close', async () => {
    for (const bytes of [
      'FOO BAR\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n',
      `GET /v1/me HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    ]) {
      const a = parse(await raw(gw.url, bytes));
      assert.ok(a.status >= 400 && a.status < 500, `${bytes.slice(0, 30)}: ${a.status}`);
      assertProblem(a, a.status);
      assert.equal(a.headers.get('connection'), 'close');
      assert.equal(Number(a.headers.get('content-length')), Buffer.byteLength(a.body));
    }
  });

  it('answers 404 outside /v1 with problem details', async () => {
    for (const path of ['/nope', '/', '/v2/orders']) {
      const a = await gw.request('GET', path);
      const body = assertProblem(a, 404);
      assert.equal(body.code, 'not_found');
    }
  });

  it('answers bad percent-encoding in the path or the query with 400 problem details', async () => {
    const t = await token(ALICE);
    assertProblem(await gw.request('GET', '/v1/orders/%E0%A4%A', { token: t }), 400);
    assertProblem(await gw.request('GET', '/v1/orders?cursor=%E0%A4%A', { token: t }), 400);
    assertProblem(await gw.request('GET', '/nope/%zz'), 400);
  });

  it('answers a URL too long with 414 problem details', async () => {
    const a = await gw.request('GET', `/v1/orders/${'a'.repeat(9000)}`, { token: await token(ALICE) });
    assertProblem(a, 414);
  });
});

describe('gateway: routes that take no body', () => {
  let gw: Gateway;
  let w: ReturnType<typeof world>;
  before(async () => {
    w = world();
    gw = await startGateway(w.stubs);
  });
  after(() => gw.stop());

  for (const path of ['/v1/orders/o-1/cancel', '/v1/notifications/n-1/read']) {
    it(`POST ${path} refuses a body (400) and still works with none, an empty one or {}`, async () => {
      const t = await token(ALICE);
      const method = path.endsWith('cancel') ? 'cancelOrder' : 'markRead';
      const calls = () => w.seen.filter((s) => s.method === method).length;
      const before = calls();
      const refused = await gw.request('POST', path, { token: t, body: { reason: 'changed my mind' } });
      const body = assertProblem(refused, 400);
      assert.equal(body.errors[0].path, 'body');
      assertProblem(
        await gw.request('POST', path, { token: t, raw: 'hello', headers: { 'content-type': 'text/plain' } }),
        refused.status,
      );
      assert.equal(calls(), before, 'a refused request reaches no service');
      for (const options of [{}, { raw: '' }, { body: {} }]) {
        const ok = await gw.request('POST', path, { token: t, ...options });
        // Past the gateway's checks (the notifications service is not stubbed here: 503).
        assert.ok(ok.status !== 400 && ok.status !== 415, `${JSON.stringify(options)}: ${ok.status} ${ok.text}`);
      }
    });
  }
});
