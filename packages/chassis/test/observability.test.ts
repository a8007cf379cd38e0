import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { childOf, createLogger, formatTraceparent, parseTraceparent, redact, withContext } from '../src/index.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  return { lines, log: createLogger({ service: 'orders', version: '1.2.3', level: 'info', destination }) };
}

describe('logs', () => {
  it('writes one JSON object per line with the platform fields and the ambient ids', async () => {
    const { lines, log } = capture();
    withContext(
      {
        requestId: 'r-1',
        correlationId: 'c-1',
        traceId: 'a'.repeat(32),
        spanId: 'b'.repeat(16),
        customerId: 'cust-1',
        orderId: 'o-1',
      },
      () => log.info({ step: 'reserve' }, 'reserved cash\nfor order'),
    );
    await new Promise((r) => setImmediate(r));
    assert.equal(lines.length, 1);
    const line = JSON.parse(lines[0]!);
    assert.match(line['@timestamp'], /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    assert.equal(line.level, 'info');
    assert.equal(line.service, 'orders');
    assert.equal(line.version, '1.2.3');
    assert.equal(typeof line.host, 'string');
    assert.equal(line.pid, process.pid);
    assert.equal(line.msg, 'reserved cash\nfor order');
    for (const [k, v] of Object.entries({
      requestId: 'r-1',
      correlationId: 'c-1',
      customerId: 'cust-1',
      orderId: 'o-1',
      step: 'reserve',
    }))
      assert.equal(line[k], v);
    assert.equal(line.traceId, 'a'.repeat(32));
  });

  it('redacts passwords, tokens, card numbers and email addresses, whatever the caller passes', async () => {
    const { lines, log } = capture();
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
    log.info(
      {
        password: 'hunter2-hunter2',
        body: { card: { number: '4000000000000002' }, email: 'ann@example.com', refreshToken: 'opaque-refresh' },
        headers: { authorization: `Bearer ${jwt}` },
        note: 'paid with 4111 1111 1111 1111 by bob@example.org',
      },
      `login for carol@example.net with token ${jwt}`,
    );
    log.error({ err: new Error('bad password for dave@example.com') }, 'failed');
    await new Promise((r) => setImmediate(r));
    const text = lines.join('\n');
    for (const secret of [
      'hunter2',
      '4000000000000002',
      '4111 1111 1111 1111',
      'ann@example.com',
      'bob@example.org',
      'carol@example.net',
      'dave@example.com',
      'opaque-refresh',
      jwt,
    ]) {
      assert.ok(!text.includes(secret), `leaked ${secret}: ${text}`);
    }
    assert.match(text, /\[redacted\]/);
  });

  it('redact leaves ordinary values alone', () => {
    assert.deepEqual(redact({ orderId: 'o-1', amount: '1000.00', quantity: '10', at: '2026-11-22T10:15:30.123Z' }), {
      orderId: 'o-1',
      amount: '1000.00',
      quantity: '10',
      at: '2026-11-22T10:15:30.123Z',
    });
  });
});

describe('trace context', () => {
  it('parses and formats W3C traceparent and keeps the trace across children', () => {
    const header = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const parent = parseTraceparent(header)!;
    assert.equal(formatTraceparent(parent), header);
    const child = childOf(parent);
    assert.equal(child.traceId, parent.traceId);
    assert.notEqual(child.spanId, parent.spanId);
    assert.equal(parseTraceparent('00-00000000000000000000000000000000-00f067aa0ba902b7-01'), undefined);
    assert.equal(parseTraceparent('garbage'), undefined);
    assert.match(formatTraceparent(childOf(undefined)), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });
});

describe('redaction by key', () => {
  it('matches secret words inside keys, not letters inside other words', () => {
    const out = redact({
      spanId: 'abc123',
      company: 'ACME',
      pancake: 'x',
      refreshToken: 'r',
      accessToken: 'a',
      customerEmail: 'c',
      cardNumber: '1',
      password: 'p',
      apiKey: 'k',
      tokenCount: 3,
    }) as Record<string, unknown>;
    assert.equal(out.spanId, 'abc123');
    assert.equal(out.company, 'ACME');
    assert.equal(out.pancake, 'x');
    for (const k of ['refreshToken', 'accessToken', 'customerEmail', 'cardNumber', 'password', 'apiKey'])
      assert.equal(out[k], '[redacted]', k);
    assert.equal(out.tokenCount, '[redacted]', 'numbers under a secret key are redacted too');
  });
});
