/**
 * Investing in a strategy through the public API: an admin creates a strategy, a customer invests
 * with a card into their account; the payment lands, one buy per allocation is placed (source
 * `strategy`) and filled, and what is not spent stays as cash — to the cent. A declined card buys
 * nothing; another customer sees nothing; a repeated Idempotency-Key answers the same investment.
 * Assets of this file: JPM, ORCL, FXAIX (prices pinned before every investment).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, it } from 'node:test';
import {
  WAIT_MS,
  cents,
  eventually,
  expectProblem,
  expectStatus,
  feeFor,
  micros,
  money,
  notional,
  show,
  useSystem,
  type Customer,
  type Order,
} from './system.ts';

const sys = useSystem();

interface Investment {
  id: string;
  strategyId: string;
  destinationAccountId: string;
  amount: string;
  paymentId: string;
  status: 'awaiting_payment' | 'ordering' | 'completed' | 'failed';
  reason?: string;
  orders: { orderId: string; assetId: string; quantity: string; status: string }[];
  skipped: { assetId: string; share: string; reason: string }[];
  invested: string;
  fees: string;
  leftover: string;
}

/** amount × percentage / 100, rounded down to the cent (percentage with two decimals). */
const share = (amount: string, percentage: string) => (cents(amount) * cents(percentage)) / 10_000n;
/** 1500000n → "1.500000" (a quantity string from micro-units). */
const quantity = (m: bigint) => `${m / 1_000_000n}.${String(m % 1_000_000n).padStart(6, '0')}`;
/** quantity × price rounded up to the cent: what a buy reserves. */
const reservation = (quantity: string, price: string) => (micros(quantity) * cents(price) + 999_999n) / 1_000_000n;

describe('investing in a strategy', () => {
  let admin: Customer;
  let strategyId: string;

  before(async () => {
    const bank = sys.bank;
    admin = await bank.adminLogin();
    await bank.resetExchange(); // open, no latency, no failures
    const res = await admin.http.post('/v1/admin/strategies', {
      name: `Investments e2e ${randomUUID().slice(0, 8)}`,
      assets: [
        { assetId: 'JPM', percentage: '33.33' },
        { assetId: 'ORCL', percentage: '33.33' },
        { assetId: 'FXAIX', percentage: '33.34' },
      ],
    });
    expectStatus(res, 201, 'create strategy');
    strategyId = res.body.id;
  });

  const invest = (c: Customer, body: Record<string, unknown>, idempotencyKey?: string) =>
    c.http.post<Investment>(`/v1/strategies/${strategyId}/investments`, body, idempotencyKey ? { idempotencyKey } : {});
  const read = (c: Customer, id: string) => c.http.get<Investment>(`/v1/investments/${id}`);
  async function waitFor(c: Customer, id: string, status: Investment['status']): Promise<Investment> {
    let last: unknown;
    return eventually(
      async () => {
        const res = await read(c, id);
        expectStatus(res, 200, 'get investment');
        last = res.body;
        return res.body.status === status ? res.body : undefined;
      },
      { timeoutMs: WAIT_MS, intervalMs: 100, message: `investment ${id} never became ${status}` },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; last seen ${JSON.stringify(last)}`);
    });
  }

  it('pays by card, buys each allocation within its share, and keeps the rest as cash: invested + fees + leftover = amount, to the cent', async () => {
    const bank = sys.bank;
    await bank.pinPrice('JPM', '212.45');
    await bank.pinPrice('ORCL', '142.60');
    await bank.pinPrice('FXAIX', '198.45');
    const customer = await bank.signUp('Investor');
    const account = await bank.openAccount(customer);
    const key = `invest-${randomUUID()}`;
    const body = {
      destinationAccountId: account.id,
      amount: '1000.00',
      method: 'card',
      card: { number: '4242424242424242' },
    };

    const res = await invest(customer, body, key);
    expectStatus(res, 202, 'invest');
    const taken = res.body;
    assert.equal(res.headers.get('location'), `/v1/investments/${taken.id}`);
    assert.deepEqual(
      [taken.status, taken.strategyId, taken.destinationAccountId, taken.amount],
      ['awaiting_payment', strategyId, account.id, '1000.00'],
    );
    assert.match(taken.paymentId, /\S/);

    const done = await waitFor(customer, taken.id, 'completed');
    assert.deepEqual(
      done.orders.map((o) => `${o.assetId}:${o.status}`),
      ['JPM:filled', 'ORCL:filled', 'FXAIX:filled'],
    );
    assert.deepEqual(done.skipped, []);
    assert.equal(cents(done.invested) + cents(done.fees) + cents(done.leftover), cents('1000.00'));
    assert.ok(cents(done.leftover) >= 0n);

    // The payment is the customer's deposit of the amount.
    const payment = await bank.getPayment(customer, done.paymentId);
    assert.deepEqual(
      [payment.kind, payment.amount, payment.status, payment.accountId],
      ['deposit', '1000.00', 'completed', account.id],
    );

    // Each order: the strategy's, within its share (reservation + fee), as large as the share allows.
    let invested = 0n;
    let fees = 0n;
    const percentages: Record<string, string> = { JPM: '33.33', ORCL: '33.33', FXAIX: '33.34' };
    for (const o of done.orders) {
      const order: Order & { source?: string; investmentId?: string } = await bank.getOrder(customer, o.orderId);
      assert.deepEqual(
        [order.source, order.investmentId, order.side, order.accountId, order.quantity],
        ['strategy', taken.id, 'buy', account.id, o.quantity],
      );
      const mine = share('1000.00', percentages[o.assetId]!);
      assert.ok(
        reservation(order.quantity, order.limitPrice) + cents(order.fee) <= mine,
        `${o.assetId}: ${order.quantity} × ${order.limitPrice} + ${order.fee} within ${money(mine)}`,
      );
      // Sized with the fee budgeted at the limit price (decision 20): one micro-unit more would not fit.
      const oneMore = quantity(micros(order.quantity) + 1n);
      assert.ok(
        reservation(oneMore, order.limitPrice) + feeFor(oneMore, order.limitPrice) > mine,
        `${o.assetId}: ${oneMore} would fit in ${money(mine)} too`,
      );
      invested += notional(order.quantity, order.fillPrice!);
      fees += cents(order.fee);
      await bank.waitForPosition(customer, account.id, o.assetId, micros(order.quantity));
    }
    assert.deepEqual([done.invested, done.fees], [money(invested), money(fees)]);

    // What was not spent stays as available cash in the account; nothing stays reserved.
    await bank.waitForCash(customer, account.id, done.leftover, '0.00');

    // The same key and body: the same investment again.
    const again = await invest(customer, body, key);
    expectStatus(again, 202, 'repeat');
    assert.deepEqual([again.body.id, again.body.paymentId], [taken.id, taken.paymentId]);
    // The customer's list holds it, once.
    const list = await customer.http.get<{ items: Investment[]; nextCursor: string | null }>('/v1/investments');
    expectStatus(list, 200, 'list');
    assert.deepEqual(
      list.body.items.map((i) => i.id),
      [taken.id],
    );

    // Another customer sees none of it, and cannot invest into this account.
    const other = await bank.signUp('Someone else');
    expectProblem(await read(other, taken.id), 404, 'not_found', 'another customer reads it');
    expectProblem(await invest(other, { ...body }), 404, 'not_found', 'another customer invests into it');
    const theirs = await other.http.get<{ items: Investment[] }>('/v1/investments');
    assert.deepEqual(theirs.body.items, [], show(theirs));

    await bank.assertTrialBalance();
  });

  it('a declined card fails the investment (payment_failed): nothing is bought, nothing is in the account', async () => {
    const bank = sys.bank;
    const customer = await bank.signUp('Declined investor');
    const account = await bank.openAccount(customer);
    const res = await invest(customer, {
      destinationAccountId: account.id,
      amount: '500.00',
      method: 'card',
      card: { number: '4000000000000002' },
    });
    expectStatus(res, 202, 'invest');
    const failed = await waitFor(customer, res.body.id, 'failed');
    assert.equal(failed.reason, 'payment_failed');
    assert.deepEqual([failed.orders, failed.invested, failed.fees, failed.leftover], [[], '0.00', '0.00', '0.00']);
    assert.equal((await bank.getPayment(customer, failed.paymentId)).status, 'failed');
    const orders = await customer.http.get(`/v1/orders?accountId=${account.id}`);
    expectStatus(orders, 200, 'orders');
    assert.deepEqual(orders.body.items, []);
    assert.deepEqual(await bank.cash(customer, account.id), { available: '0.00', reserved: '0.00' });
    await bank.assertTrialBalance();
  });

  it('an allocation too small for its fee is skipped, its share left over as cash', async () => {
    const bank = sys.bank;
    await bank.pinPrice('JPM', '212.45');
    await bank.pinPrice('ORCL', '142.60');
    await bank.pinPrice('FXAIX', '198.45');
    const customer = await bank.signUp('Small investor');
    const account = await bank.openAccount(customer);
    // 3.00 × 33.33% = 0.99: less than the 1.00 minimum fee, for every allocation.
    const res = await invest(customer, { destinationAccountId: account.id, amount: '3.00', method: 'bank_transfer' });
    expectStatus(res, 202, 'invest');
    const done = await waitFor(customer, res.body.id, 'completed');
    assert.deepEqual(done.orders, []);
    assert.deepEqual(
      done.skipped.map((s) => `${s.assetId}:${s.share}:${s.reason}`),
      ['JPM:0.99:too_small_for_fee', 'ORCL:0.99:too_small_for_fee', 'FXAIX:1.00:too_small_for_fee'],
    );
    assert.deepEqual([done.invested, done.fees, done.leftover], ['0.00', '0.00', '3.00']);
    await bank.waitForCash(customer, account.id, '3.00', '0.00');
  });

  it('refuses a bad investment with problem details, never a 5xx', async () => {
    const bank = sys.bank;
    const customer = await bank.signUp('Careless investor');
    const account = await bank.openAccount(customer);
    expectProblem(
      await invest(customer, { destinationAccountId: account.id, amount: '0.00', method: 'bank_transfer' }),
      400,
      'validation_failed',
    );
    expectProblem(
      await invest(customer, { destinationAccountId: account.id, amount: '10.00', method: 'card' }),
      400,
      'validation_failed',
    );
    expectProblem(
      await invest(customer, { destinationAccountId: account.id, amount: '1000000.01', method: 'bank_transfer' }),
      400,
      'validation_failed',
    );
    expectProblem(
      await customer.http.post(`/v1/strategies/${randomUUID()}/investments`, {
        destinationAccountId: account.id,
        amount: '10.00',
        method: 'bank_transfer',
      }),
      404,
      'not_found',
    );
    expectProblem(
      await customer.http.post('/v1/strategies/not-a-strategy/investments', {
        destinationAccountId: account.id,
        amount: '10.00',
        method: 'bank_transfer',
      }),
      404,
      'not_found',
    );
    expectProblem(await read(customer, randomUUID()), 404, 'not_found');
    expectProblem(
      await admin.http.post(`/v1/strategies/${strategyId}/investments`, {
        destinationAccountId: account.id,
        amount: '10.00',
        method: 'bank_transfer',
      }),
      403,
      'forbidden',
    );
  });
});
