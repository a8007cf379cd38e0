/**
 * Reporting over the public API: the statement, the orders report and the fee report, read models
 * built from events (polled until they catch up: they lag the services by design). Assets of this
 * file: KO (price pinned before the order).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { WAIT_MS, cents, eventually, expectProblem, expectStatus, money, notional, show, useSystem } from './system.ts';

const sys = useSystem();
// Today's business, with a day either side: a statement or fee report covers at most 366 days (decision 34).
const DAY_MS = 24 * 60 * 60 * 1000;
const PERIOD = `from=${new Date(Date.now() - DAY_MS).toISOString().slice(0, 10)}&to=${new Date(Date.now() + 2 * DAY_MS).toISOString().slice(0, 10)}`;
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

describe('reporting', () => {
  it('after a deposit and a filled buy: statement closing = available cash, the order with notional and fee, the fee report', async () => {
    const bank = sys.bank;
    const { customer, account } = await bank.fundedCustomer('1000.00');
    await bank.pinPrice('KO', '63.18');
    const order = await bank.trade(customer, { accountId: account.id, assetId: 'KO', side: 'buy', quantity: '3' });
    const cost = notional('3', order.fillPrice!);
    const expectedCash = money(100000n - cost - cents(order.fee));
    await bank.waitForCash(customer, account.id, expectedCash, '0.00');
    const cash = await bank.cash(customer, account.id);

    // The statement: deposit, fee, buy — the buy one line of its cost; closing = the available cash.
    const statement = await eventually(
      async () => {
        const r = await customer.http.get(`/v1/accounts/${account.id}/statement?${PERIOD}`);
        expectStatus(r, 200, 'statement');
        return r.body.closingBalance === cash.available && r.body.lines.length === 3 ? r : undefined;
      },
      { timeoutMs: WAIT_MS, message: 'the statement never caught up' },
    );
    assert.ok(!Number.isNaN(Date.parse(statement.headers.get('x-data-as-of')!)), show(statement));
    const s = statement.body;
    assert.equal(s.openingBalance, '0.00');
    assert.deepEqual(s.lines.map((l: { kind: string }) => l.kind).sort(), ['buy', 'deposit', 'fee']);
    const buy = s.lines.find((l: { kind: string }) => l.kind === 'buy');
    assert.equal(buy.amount, money(-cost));
    assert.equal(buy.description, `Buy 3 KO @ ${order.fillPrice}`);
    assert.equal(
      cents(s.closingBalance),
      cents(s.openingBalance) + s.lines.reduce((t: bigint, l: { amount: string }) => t + cents(l.amount), 0n),
    );
    assert.equal(s.lines[s.lines.length - 1].balance, s.closingBalance);

    // The orders report.
    const report = await eventually(
      async () => {
        const r = await customer.http.get(`/v1/reports/orders?${PERIOD}`);
        expectStatus(r, 200, 'orders report');
        return r.body.items[0]?.status === 'filled' ? r : undefined;
      },
      { timeoutMs: WAIT_MS, message: 'the orders report never caught up' },
    );
    assert.ok(report.headers.get('x-data-as-of'));
    assert.equal(report.body.items.length, 1);
    const row = report.body.items[0];
    assert.equal(row.orderId, order.id);
    assert.equal(row.assetName, 'Coca-Cola');
    assert.equal(row.assetType, 'stock');
    assert.equal(row.notional, money(cost));
    assert.equal(row.fee, order.fee);
    assert.equal(row.fillPrice, order.fillPrice);
    assert.equal(row.source, 'customer');
    assert.ok(row.placedAt && row.filledAt);
    const filtered = await customer.http.get(`/v1/reports/orders?${PERIOD}&status=rejected`);
    expectStatus(filtered, 200);
    assert.equal(filtered.body.items.length, 0);

    // The fee report: its total is the sum of its items, and includes this order's fee; on a system
    // of its own (not a shared one), exactly the fees of this file's orders.
    const admin = await bank.adminLogin();
    const fees = await eventually(
      async () => {
        const r = await admin.http.get(`/v1/admin/reports/fees?${PERIOD}`);
        expectStatus(r, 200, 'fee report');
        return cents(r.body.total) >= cents(order.fee) ? r : undefined;
      },
      { timeoutMs: WAIT_MS, message: 'the fee report never caught up' },
    );
    assert.equal(
      cents(fees.body.total),
      fees.body.items.reduce((t: bigint, i: { total: string }) => t + cents(i.total), 0n),
    );
    if (!process.env.SIMPLEBANK_E2E_URL) {
      assert.equal(fees.body.total, order.fee);
      assert.deepEqual(
        fees.body.items.map((i: { side: string; assetType: string; count: number }) => [i.side, i.assetType, i.count]),
        [['buy', 'stock', 1]],
      );
    }
  });

  it("another customer's statement is 404; no token 401; a bad period 400 problem details; the fee report is admins' only", async () => {
    const bank = sys.bank;
    const { account } = await bank.fundedCustomer('10.00');
    const other = await bank.signUp('Other');
    expectProblem(await other.http.get(`/v1/accounts/${account.id}/statement`), 404, 'not_found');
    expectProblem(await sys.http.get(`/v1/accounts/${account.id}/statement`), 401);
    expectProblem(await sys.http.get('/v1/reports/orders'), 401);
    const owner = await bank.signUp('Owner');
    const own = await bank.openAccount(owner);
    expectProblem(await owner.http.get(`/v1/accounts/${own.id}/statement?from=yesterday`), 400, 'validation_failed');
    expectProblem(await owner.http.get(`/v1/accounts/${own.id}/statement?from=2026-02-30`), 400, 'validation_failed');
    expectProblem(await owner.http.get('/v1/reports/orders?to=12/01/2026'), 400, 'validation_failed');
    expectProblem(
      await owner.http.get(`/v1/accounts/${own.id}/statement?from=2024-01-01&to=2026-01-01`),
      400,
      'validation_failed',
    );
    expectProblem(await owner.http.get('/v1/admin/reports/fees'), 403);
    const empty = await owner.http.get(`/v1/accounts/${own.id}/statement`);
    expectStatus(empty, 200);
    assert.deepEqual([empty.body.openingBalance, empty.body.closingBalance, empty.body.lines], ['0.00', '0.00', []]);
  });

  it('simplebank projections rebuild reporting: the rebuilt reports equal the live ones', async () => {
    const bank = sys.bank;
    const { customer, account } = await bank.fundedCustomer('300.00');
    const reads = async () => [
      (await customer.http.get(`/v1/accounts/${account.id}/statement?${PERIOD}`)).body,
      (await customer.http.get(`/v1/reports/orders?${PERIOD}`)).body,
    ];
    const live = await eventually(
      async () => {
        const r = await reads();
        return r[0].closingBalance === '300.00' ? r : undefined;
      },
      { timeoutMs: WAIT_MS, message: 'the statement never caught up' },
    );
    const run = await simplebank('projections', 'rebuild', 'reporting');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Rebuilt reporting from \d+ events: \d+ orders, \d+ fee events, \d+ postings/);
    assert.deepEqual(await reads(), live);
    const wrong = await simplebank('projections', 'rebuild', 'orders');
    assert.equal(wrong.code, 1);
  });
});
