import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { luhn, scanLine } from '../../scripts/scan-logs.ts';

const script = new URL('../../scripts/scan-logs.ts', import.meta.url).pathname;

const line = (fields: Record<string, unknown>) =>
  JSON.stringify({
    level: 'info',
    '@timestamp': '2024-05-01T12:34:56.789123Z',
    service: 'accounts',
    pid: 4242,
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    ...fields,
  });

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjdXN0LTEiLCJleHAiOjE3MDAwMDAwMDB9.c2lnbmF0dXJlLXNpZ25hdHVyZQ';

describe('scan-logs', () => {
  it('finds each kind of secret, masked', () => {
    const kinds = (l: string) => scanLine(l).map((f) => f.kind);
    assert.deepEqual(kinds(line({ msg: 'signed up alice.smith+test@example.co.uk' })), ['email']);
    assert.deepEqual(kinds(line({ msg: 'login', header: `token was ${JWT}` })), ['jwt']);
    assert.deepEqual(kinds(line({ msg: 'call', auth: 'Bearer abcdef0123456789opaque' })), ['bearer']);
    assert.deepEqual(kinds(line({ msg: 'paid with 4111 1111 1111 1111' })), ['card']);
    assert.deepEqual(kinds(line({ msg: 'paid', note: '5500-0000-0000-0004' })), ['card']);
    assert.deepEqual(kinds(line({ msg: 'x', details: { password: 'hunter2hunter2' } })), ['secret-field']);
    assert.deepEqual(kinds(line({ msg: 'x', refreshToken: 'r-0123456789abcdef' })), ['secret-field']);
    assert.deepEqual(kinds(line({ msg: 'x', client_secret: 's3cr3t-value' })), ['secret-field']);
    assert.deepEqual(kinds('plain text line password=hunter2hunter2'), ['secret-field']);
    const [f] = scanLine(line({ msg: 'signed up alice.smith@example.com' }));
    assert.ok(f && !f.masked.includes('alice.smith@example.com'), 'the secret itself is masked');
  });

  it('passes clean lines: uuids, ISO times, money, trace ids, redacted values, non-Luhn numbers', () => {
    const clean = [
      line({
        msg: 'order placed',
        orderId: '8f14e45f-ceea-4e7a-9d1b-2c3a4b5c6d7e',
        customerId: 'c0a80101-0000-4000-8000-000000000001',
      }),
      line({ msg: 'posted', amount: '1234567.89', cents: 123456789, currency: 'EUR', at: '2024-05-01T12:34:56.789Z' }),
      line({ msg: 'traced', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' }),
      line({
        msg: 'login',
        password: '[redacted]',
        token: '[redacted]',
        auth: 'Bearer [redacted]',
        email: '[redacted]',
      }),
      line({ msg: 'tokens issued', tokenType: 'Bearer', hasPassword: true, expiresIn: 900, secretRotation: null }),
      line({ msg: 'id 1234567890123', startedAtMs: 1714566896789, big: '1714566896789' }),
      line({ msg: 'ref 4111111111111112' }), // not Luhn-valid
      line({ msg: 'duration', ns: '12345', price: '0.0001', qty: '100000000' }),
      'not json at all: started in 12 ms',
      '',
    ];
    for (const l of clean) assert.deepEqual(scanLine(l), [], l);
  });

  it('checks Luhn', () => {
    assert.equal(luhn('4111111111111111'), true);
    assert.equal(luhn('4111111111111112'), false);
  });

  it('prints file:line and exits 1 when anything is found, 0 when clean', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scan-logs-'));
    const dirty = join(dir, 'dirty.log');
    const clean = join(dir, 'clean.log');
    writeFileSync(dirty, [line({ msg: 'ok' }), line({ msg: 'mail bob@example.org' })].join('\n'));
    writeFileSync(clean, [line({ msg: 'ok' }), line({ msg: 'fine', amount: '10.00' })].join('\n'));
    const bad = spawnSync(process.execPath, ['--import', 'tsx', script, clean, dirty], { encoding: 'utf8' });
    assert.equal(bad.status, 1, bad.stderr);
    assert.match(bad.stdout, new RegExp(`${dirty.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:2: email: `));
    assert.doesNotMatch(bad.stdout, /bob@example\.org/);
    const ok = spawnSync(process.execPath, ['--import', 'tsx', script, clean], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    const stdin = spawnSync(process.execPath, ['--import', 'tsx', script], {
      encoding: 'utf8',
      input: line({ msg: 'x', apiKey: 'k-0123456789' }),
    });
    assert.equal(stdin.status, 1);
    assert.match(stdin.stdout, /<stdin>:1: value of field "apiKey"/);
  });
});
