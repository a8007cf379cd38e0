/** Deposits and withdrawals through the public API: the cash on the account to the cent. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { expectProblem, expectStatus, show, useSystem } from './system.ts';

const sys = useSystem();

describe('payments', () => {
  after(async () => {
    await sys.bank.assertTrialBalance();
  });

  it('opens an account with no cash', async () => {
    const { customer, account } = await sys.bank.fundedCustomer();
    assert.equal(account.currency, 'USD');
    assert.equal(account.status, 'open');
    assert.deepEqual(account.cash, { available: '0.00', reserved: '0.00' });
    const list = await customer.http.get('/v1/accounts');
    expectStatus(list, 200, 'list accounts');
    assert.deepEqual(
      list.body.items.map((a: { id: string }) => a.id),
      [account.id],
    );
  });

  it('deposits by card: 202 pending with a Location, then completed and the cash exact', async () => {
    const { customer, account } = await sys.bank.fundedCustomer();
    const res = await sys.bank.requestDeposit(customer, account.id, '250.75', { card: '4242424242424242' });
    expectStatus(res, 202, 'deposit');
    assert.equal(res.body.kind, 'deposit');
    assert.equal(res.body.method, 'card');
    assert.equal(res.body.amount, '250.75');
    assert.equal(res.body.accountId, account.id);
    assert.ok(['pending', 'completed'].includes(res.body.status), show(res));
    assert.ok(res.headers.get('location')?.includes(res.body.id), `Location header: ${res.headers.get('location')}`);
    assert.ok(!res.text.includes('4242424242424242'), 'the card number is not echoed');

    const payment = await sys.bank.waitForPayment(customer, res.body.id);
    assert.equal(payment.status, 'completed');
    await sys.bank.waitForCash(customer, account.id, '250.75', '0.00');

    const tx = await customer.http.get(`/v1/accounts/${account.id}/transactions`);
    expectStatus(tx, 200, 'transactions');
    const deposits = tx.body.items.filter((e: { kind: string }) => e.kind === 'deposit');
    assert.equal(deposits.length, 1, show(tx));
    assert.equal(deposits[0].amount, '250.75');
    assert.equal(deposits[0].paymentId, payment.id);
  });

  it('fails a declined card (4000000000000002) with card_declined, and credits nothing', async () => {
    const { customer, account } = await sys.bank.fundedCustomer();
    const res = await sys.bank.requestDeposit(customer, account.id, '100.00', { card: '4000000000000002' });
    expectStatus(res, 202, 'deposit');
    const payment = await sys.bank.waitForPayment(customer, res.body.id);
    assert.equal(payment.status, 'failed');
    assert.equal(payment.reason, 'card_declined');
    // A later good deposit lands alone: the declined one never credited anything.
    await sys.bank.deposit(customer, account.id, '10.00');
    await sys.bank.waitForCash(customer, account.id, '10.00', '0.00');
  });

  it('deposits by bank transfer', async () => {
    const { customer, account } = await sys.bank.fundedCustomer();
    const res = await sys.bank.requestDeposit(customer, account.id, '1000.00', { method: 'bank_transfer' });
    expectStatus(res, 202, 'deposit');
    assert.equal(res.body.method, 'bank_transfer');
    const payment = await sys.bank.waitForPayment(customer, res.body.id);
    assert.equal(payment.status, 'completed');
    await sys.bank.waitForCash(customer, account.id, '1000.00', '0.00');
  });

  it('replays a deposit with the same Idempotency-Key: same payment, credited once; another body is 409', async () => {
    const { customer, account } = await sys.bank.fundedCustomer();
    const key = randomUUID();
    const first = await sys.bank.requestDeposit(customer, account.id, '300.00', { idempotencyKey: key });
    expectStatus(first, 202, 'first deposit');
    const second = await sys.bank.requestDeposit(customer, account.id, '300.00', { idempotencyKey: key });
    expectStatus(second, 202, 'replayed deposit');
    assert.equal(second.body.id, first.body.id, 'the same payment');
    await sys.bank.waitForPayment(customer, first.body.id);
    // After completion too.
    const third = await sys.bank.requestDeposit(customer, account.id, '300.00', { idempotencyKey: key });
    expectStatus(third, 202, 'replay after completion');
    assert.equal(third.body.id, first.body.id);
    const other = await sys.bank.requestDeposit(customer, account.id, '301.00', { idempotencyKey: key });
    expectProblem(other, 409, 'idempotency_key_reused');
    // Credited exactly once: the cash reaches 300.00, and a marker deposit after it shows the total.
    await sys.bank.waitForCash(customer, account.id, '300.00', '0.00');
    await sys.bank.deposit(customer, account.id, '0.01');
    await sys.bank.waitForCash(customer, account.id, '300.01', '0.00');
  });

  it('withdraws: completed, and the cash reduced exactly', async () => {
    const { customer, account } = await sys.bank.fundedCustomer('500.00');
    const res = await customer.http.post(
      `/v1/accounts/${account.id}/withdrawals`,
      { amount: '120.25' },
      { idempotencyKey: randomUUID() },
    );
    expectStatus(res, 202, 'withdrawal');
    assert.equal(res.body.kind, 'withdrawal');
    assert.equal(res.body.amount, '120.25');
    const payment = await sys.bank.waitForPayment(customer, res.body.id);
    assert.equal(payment.status, 'completed');
    await sys.bank.waitForCash(customer, account.id, '379.75', '0.00');
  });

  it('refuses a withdrawal beyond the available cash: 422 insufficient_funds, nothing changed', async () => {
    const { customer, account } = await sys.bank.fundedCustomer('50.00');
    const res = await customer.http.post(`/v1/accounts/${account.id}/withdrawals`, { amount: '50.01' });
    expectProblem(res, 422, 'insufficient_funds');
    assert.deepEqual(await sys.bank.cash(customer, account.id), { available: '50.00', reserved: '0.00' });
    const tx = await customer.http.get(`/v1/accounts/${account.id}/transactions`);
    expectStatus(tx, 200);
    assert.deepEqual(
      tx.body.items.map((e: { kind: string }) => e.kind).filter((k: string) => k !== 'deposit'),
      [],
      `no ledger entry but the deposit: ${show(tx)}`,
    );
    // The whole balance can still be withdrawn.
    const all = await customer.http.post(`/v1/accounts/${account.id}/withdrawals`, { amount: '50.00' });
    expectStatus(all, 202, 'withdraw everything');
    assert.equal((await sys.bank.waitForPayment(customer, all.body.id)).status, 'completed');
    await sys.bank.waitForCash(customer, account.id, '0.00', '0.00');
  });
});
