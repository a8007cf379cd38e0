/**
 * The operator's commands (`simplebank status | dead-letters … | sagas show … | events replay …`, apps/cli/src/operator.ts)
 * against the running system, as an operator at a terminal runs them: what they print and their
 * exit codes. Assets of this file: AMZN.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { useSystem } from './system.ts';

const sys = useSystem();
const root = fileURLToPath(new URL('../..', import.meta.url));

function simplebank(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'apps/cli/src/main.ts', ...args, '--url', sys.url],
      { cwd: root, timeout: 60_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

describe('the operator commands', () => {
  it('status: every readiness check, and the dead letters waiting', async () => {
    const r = await simplebank('status');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /: ready\n/);
    // Every service, each with its own checks.
    for (const service of ['accounts', 'orders', 'gateway'])
      assert.match(r.stdout, new RegExp(`^  ok +${service}\\n(    ok +${service}:\\S+.*\\n)+`, 'm'));
    assert.match(r.stdout, /ok +orders:database/);
    assert.match(r.stdout, /dead letters waiting: \d+/);
    const json = JSON.parse((await simplebank('status', '--json')).stdout);
    assert.equal(json.status, 'ready');
    assert.ok(
      json.services.length >= 15 && json.services.every((s: { ready: boolean }) => s.ready),
      JSON.stringify(json.services),
    );
  });

  it("sagas show: an order's saga, completed, with each step's outcome", async () => {
    const { customer, account } = await sys.bank.fundedCustomer('1000.00');
    const order = await sys.bank.trade(customer, {
      accountId: account.id,
      assetId: 'AMZN',
      side: 'buy',
      quantity: '1',
    });
    const r = await simplebank('sagas', 'show', 'orders', order.id);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^PlaceOrder\\S* ${order.id}: completed`));
    assert.match(r.stdout, / action #1: done/);
    const unknown = await simplebank('sagas', 'show', 'orders', randomUUID());
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /404 not_found/);
  });

  it('events replay: publishes again what orders published since a time, paged; the read models change nothing (their inbox)', async () => {
    const since = new Date().toISOString();
    const { customer, account } = await sys.bank.fundedCustomer('1000.00');
    await sys.bank.trade(customer, { accountId: account.id, assetId: 'AMZN', side: 'buy', quantity: '1' });
    const before = await sys.bank.cash(customer, account.id);
    const r = await simplebank(
      'events',
      'replay',
      'orders',
      '--types',
      'orders.OrderStatusChanged.v1',
      '--since',
      since,
    );
    assert.equal(r.code, 0, r.stderr);
    const n = Number(/^Replayed (\d+) events of /.exec(r.stdout)?.[1]);
    assert.ok(n >= 3, `an order's pending, placed and filled at least: ${r.stdout}`);
    assert.deepEqual(await sys.bank.cash(customer, account.id), before, 'the copies changed nothing');
    const unknown = await simplebank('events', 'replay', 'nowhere', '--types', 'x', '--since', since);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /400 validation_failed/);
    const noTypes = await simplebank('events', 'replay', 'orders', '--since', since);
    assert.equal(noTypes.code, 1);
    assert.match(noTypes.stderr, /--types/);
  });

  it('dead-letters: list; replay and discard of an unknown letter say so (exit 1)', async () => {
    const list = await simplebank('dead-letters', 'list', '--limit', '5');
    assert.equal(list.code, 0, list.stderr);
    assert.ok(list.stdout.length > 0);
    for (const action of ['replay', 'discard']) {
      const r = await simplebank('dead-letters', action, randomUUID());
      assert.equal(r.code, 1, `${action}: ${r.stdout}`);
      assert.match(r.stderr, /404 not_found/);
    }
    const bad = await simplebank('dead-letters', 'list', '--limit', 'many');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--limit must be/);
    const wrong = await simplebank('dead-letters', 'frobnicate');
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /Unknown or incomplete command/);
  });
});
