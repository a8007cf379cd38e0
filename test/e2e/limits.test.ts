/**
 * Business limits at the door (issue 9, item 2), and sums that never overflow behind it: a payment
 * over the limit per payment, a price over the limit of market-data, an order over the limit of
 * notional are refused with a 4xx problem naming the field; whatever was accepted completes with
 * its ledger posting, and the account, its list and its holdings keep answering.
 * The limits are in docs/limits.md.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { cents, expectProblem, expectStatus, show, useSystem, type Customer } from './system.ts';

const sys = useSystem();

const MAX_PAYMENT = '1000000.00';
const MAX_PRICE = '1000000.00';

/** The account's own deposit entries (one page of 200 is enough here). */
async function depositEntries(c: Customer, accountId: string): Promise<Array<{ paymentId?: string; amount?: string }>> {
  const res = await c.http.get(`/v1/accounts/${accountId}/transactions?limit=200`);
  expectStatus(res, 200, 'transactions');
  return res.body.items.filter((e: { kind: string }) => e.kind === 'deposit');
}

function expectFieldError(res: { status: number; body: any; text: string }, field: string): void {
  assert.ok(res.status >= 400 && res.status < 500, `a 4xx, got ${res.status}: ${res.text}`);
  assert.ok(['validation_failed', 'limit_exceeded'].includes(res.body?.code), `code: ${res.text}`);
  const errors: Array<{ path: string; message: string }> = res.body?.errors ?? [];
  assert.ok(
    errors.some((e) => e.path.includes(field)),
    `a field error naming ${field}: ${res.text}`,
  );
}

describe('limits', () => {
  after(async () => {
    await sys.bank.assertTrialBalance();
  });

  it('refuses a deposit or a withdrawal over the limit per payment with a 4xx naming the amount; nothing is stored', async () => {
    const { customer, account } = await sys.bank.fundedCustomer();
    for (const amount of ['999999999999999.99', '1000000.01']) {
      const deposit = await sys.bank.requestDeposit(customer, account.id, amount);
      expectFieldError(deposit, 'amount');
      const transfer = await sys.bank.requestDeposit(customer, account.id, amount, { method: 'bank_transfer' });
      expectFieldError(transfer, 'amount');
      const withdrawal = await customer.http.post(`/v1/accounts/${account.id}/withdrawals`, { amount });
      expectFieldError(withdrawal, 'amount');
    }
    assert.deepEqual(await sys.bank.cash(customer, account.id), { available: '0.00', reserved: '0.00' });
    assert.deepEqual(await depositEntries(customer, account.id), []);
  });

  it('deposits at the maximum are completed only with their ledger posting; the account, the list and the holdings keep answering', async () => {
    const { customer, account } = await sys.bank.fundedCustomer();
    const n = 4;
    const requested = await Promise.all(
      Array.from({ length: n }, () =>
        sys.bank.requestDeposit(customer, account.id, MAX_PAYMENT, { method: 'bank_transfer' }),
      ),
    );
    for (const r of requested) expectStatus(r, 202, 'deposit at the maximum');
    for (const r of requested) {
      const payment = await sys.bank.waitForPayment(customer, r.body.id);
      assert.equal(payment.status, 'completed', JSON.stringify(payment));
      // Completed means posted: the entry is there the moment the payment says so, no waiting.
      const entries = await depositEntries(customer, account.id);
      assert.ok(
        entries.some((e) => e.paymentId === payment.id && e.amount === MAX_PAYMENT),
        `payment ${payment.id} is completed but not in the ledger: ${JSON.stringify(entries)}`,
      );
    }
    const total = cents(MAX_PAYMENT) * BigInt(n);
    const got = await customer.http.get(`/v1/accounts/${account.id}`);
    expectStatus(got, 200, 'get account');
    assert.equal(cents(got.body.cash.available), total, show(got));
    const list = await customer.http.get('/v1/accounts');
    expectStatus(list, 200, 'list accounts');
    const holdings = await customer.http.get(`/v1/accounts/${account.id}/holdings`);
    expectStatus(holdings, 200, 'holdings');
  });

  it('a price at the maximum of market-data keeps holdings valued and a buy within the order limit fills; beyond the limits a clear 4xx', async () => {
    const bank = sys.bank;
    const { customer, account } = await bank.fundedCustomer();
    for (let i = 0; i < 3; i++) await bank.deposit(customer, account.id, MAX_PAYMENT);
    const asset = 'VOD';
    await bank.trade(customer, { accountId: account.id, assetId: asset, side: 'buy', quantity: '1' });
    try {
      const admin = await bank.adminLogin();
      for (const price of ['999999999999999.99', '1000000.01']) {
        const refused = await admin.http.put(`/v1/admin/simulation/prices/${asset}`, { price });
        expectFieldError(refused, 'price');
      }
      await bank.pinPrice(asset, MAX_PRICE);

      const holdings = await bank.holdings(customer, account.id);
      const position = holdings.positions.find((p: { assetId: string }) => p.assetId === asset);
      assert.equal(position?.price, MAX_PRICE, JSON.stringify(holdings));
      assert.equal(position?.value, MAX_PRICE, JSON.stringify(holdings));

      // quantity × limit price (1.05 × quote) = 10 500 000.00: over the limit of an order's notional.
      const tooBig = await bank.placeOrderRaw(customer, {
        accountId: account.id,
        assetId: asset,
        side: 'buy',
        quantity: '10',
      });
      expectProblem(tooBig, 422, 'limit_exceeded', 'an order over the limit of notional');
      assert.ok(
        ((tooBig.body as { errors?: Array<{ path: string }> }).errors ?? []).some((e: { path: string }) =>
          e.path.includes('quantity'),
        ),
        show(tooBig),
      );

      // One unit at the maximum price is within every limit: it fills.
      const order = await bank.trade(customer, { accountId: account.id, assetId: asset, side: 'buy', quantity: '1' });
      assert.equal(order.fillPrice, MAX_PRICE);
      await bank.waitForPosition(customer, account.id, asset, 2_000_000n);
      const after = await bank.holdings(customer, account.id);
      const held = after.positions.find((p: { assetId: string }) => p.assetId === asset);
      assert.equal(held?.value, '2000000.00', JSON.stringify(after));
      const got = await customer.http.get(`/v1/accounts/${account.id}`);
      expectStatus(got, 200, 'get account');
    } finally {
      const admin = await bank.adminLogin();
      await admin.http.put(`/v1/admin/simulation/prices/${asset}`, { pinned: false });
    }
  });
});
