/** The ledger on real PostgreSQL: payments' events delivered as payments would, RPC as the saga calls it. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { AppError, type DataOf } from '@simplebank/chassis';
import { eventually, startTestService, type TestService } from '@simplebank/chassis/testing';
import { paymentsContract } from '@simplebank/payments/contract';
import { transactionsContract as tc } from '../src/contract.ts';
import { transactionsService } from '../src/service.ts';

let svc: TestService;
const COMPLETED = paymentsContract.events.PaymentCompleted.type;
const FAILED = paymentsContract.events.PaymentFailed.type;

const newAccount = () => `acc-${randomUUID()}`;
const key = () => `k-${randomUUID()}`;

function paymentEvent(
  accountId: string,
  kind: 'deposit' | 'withdrawal',
  amount: string,
  extra: { paymentId?: string; reservationId?: string } = {},
) {
  return {
    paymentId: extra.paymentId ?? `pay-${randomUUID()}`,
    accountId,
    customerId: 'c-1',
    kind,
    method: 'card' as const,
    amount,
    ...(extra.reservationId ? { reservationId: extra.reservationId } : {}),
  };
}

const balances = (accountId: string) => svc.call(tc, 'getBalances', { accountId });
const cash = async (accountId: string) => (await balances(accountId)).cash;

async function deposit(accountId: string, amount: string): Promise<string> {
  const event = paymentEvent(accountId, 'deposit', amount);
  const before = await entryCount(accountId);
  await svc.deliver(COMPLETED, event);
  await eventually(async () => (await entryCount(accountId)) > before, { message: 'deposit posted' });
  return event.paymentId;
}

async function entryCount(accountId: string): Promise<number> {
  const { rows } = await svc.database.db.query<{ n: string }>(
    'SELECT count(*)::text AS n FROM entries WHERE account_id = $1',
    [accountId],
  );
  return Number(rows[0]!.n);
}

async function allEntries(accountId: string) {
  const items = [];
  let cursor: string | undefined;
  do {
    const page = await svc.call(tc, 'listEntries', { accountId, limit: 200, ...(cursor ? { cursor } : {}) });
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return items;
}

type Posted = DataOf<typeof tc.events.LedgerPosted>;
async function postedEvents(accountId: string): Promise<Posted[]> {
  const { rows } = await svc.database.db.query<{ body: string }>(
    'SELECT body FROM chassis_outbox WHERE destination = $1 ORDER BY id',
    [tc.events.LedgerPosted.type],
  );
  return rows.map((r) => (JSON.parse(r.body) as { data: Posted }).data).filter((d) => d.accountId === accountId);
}

const refusedWith = (code: string) => (e: unknown) => e instanceof AppError && e.code === code && e.status === 422;

async function trialBalance() {
  return svc.call(tc, 'trialBalance', {});
}

describe('the ledger', () => {
  before(async () => {
    svc = await startTestService(transactionsService);
  });
  after(async () => {
    await svc?.stop();
  });

  it('posts a deposit once even when the event is delivered twice, and publishes it', async () => {
    const acc = newAccount();
    const event = paymentEvent(acc, 'deposit', '100.00');
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    await svc.deliver(COMPLETED, event, { id: ids[0]! });
    await svc.deliver(COMPLETED, event, { id: ids[1]! }); // a second delivery: another message about the same payment
    await svc.deliver(COMPLETED, event, { id: ids[2]! });
    await svc.deliver(COMPLETED, event, { id: ids[2]! }); // and a redelivery of one message
    // Let every delivery be handled before checking that nothing was posted twice.
    await eventually(async () => {
      const { rows } = await svc.database.db.query('SELECT 1 FROM chassis_inbox WHERE message_id = ANY($1)', [ids]);
      return rows.length === 3;
    });
    assert.deepEqual(await cash(acc), { available: '100.00', reserved: '0.00' });
    const entries = await allEntries(acc);
    assert.equal(entries.length, 1);
    assert.equal(entries[0]!.kind, 'deposit');
    assert.equal(entries[0]!.amount, '100.00');
    assert.equal(entries[0]!.book, 'available');
    assert.equal(entries[0]!.paymentId, event.paymentId);
    const posted = await postedEvents(acc);
    assert.equal(posted.length, 1);
    assert.deepEqual(posted[0]!.entries, [{ asset: 'USD', book: 'available', amount: '100.00' }]);
    assert.equal(posted[0]!.kind, 'deposit');
    assert.equal(posted[0]!.paymentId, event.paymentId);
  });

  it('reserve → settle a buy filled below the limit: balances exact to the cent, the rest released, the position added', async () => {
    const acc = newAccount();
    await deposit(acc, '1000.00');
    const orderId = `ord-${randomUUID()}`;
    // Buy 3 ABC, quote 100.00, limit 105.00: reserve 315.00.
    const { reservationId } = await svc.call(
      tc,
      'reserveCash',
      { accountId: acc, amount: '315.00', orderId },
      { idempotencyKey: key() },
    );
    assert.deepEqual(await cash(acc), { available: '685.00', reserved: '315.00' });
    await svc.call(
      tc,
      'chargeFee',
      { accountId: acc, amount: '1.00', orderId, feeId: `fee-${orderId}` },
      { idempotencyKey: key() },
    );
    const settleKey = key();
    const request = {
      reservationId,
      orderId,
      accountId: acc,
      side: 'buy' as const,
      assetId: 'ABC',
      quantity: '3',
      fillPrice: '99.99',
    };
    const settled = await svc.call(tc, 'settleTrade', request, { idempotencyKey: settleKey });
    assert.equal(settled.cashAmount, '299.97');
    const b = await balances(acc);
    // 1000.00 − 299.97 − 1.00 fee
    assert.deepEqual(b.cash, { available: '699.03', reserved: '0.00' });
    assert.deepEqual(b.positions, [{ assetId: 'ABC', available: '3', reserved: '0' }]);
    // A retry (same key, or a new key for the same reservation) settles nothing more.
    assert.deepEqual(await svc.call(tc, 'settleTrade', request, { idempotencyKey: settleKey }), settled);
    assert.deepEqual(await svc.call(tc, 'settleTrade', request, { idempotencyKey: key() }), settled);
    assert.deepEqual(await balances(acc), b);
    // Releasing the consumed reservation gives back nothing.
    assert.deepEqual(await svc.call(tc, 'releaseReservation', { reservationId }, { idempotencyKey: key() }), {
      released: false,
    });
    assert.deepEqual((await balances(acc)).cash, b.cash);
    const trade = (await postedEvents(acc)).find((p) => p.kind === 'trade')!;
    assert.equal(trade.price, '99.99');
    assert.equal(trade.orderId, orderId);
    assert.deepEqual(
      new Set(trade.entries.map((e) => `${e.asset}/${e.book}/${e.amount}`)),
      new Set(['USD/reserved/-315.00', 'USD/available/15.03', 'ABC/available/3']),
    );
  });

  it("answers several accounts' balances in one call, in the order asked, each as getBalances does (zeros for one never posted to)", async () => {
    const [a, b, none] = [newAccount(), newAccount(), newAccount()];
    await deposit(a, '10.00');
    await deposit(b, '250.25');
    const { items } = await svc.call(tc, 'getBalancesOf', { accountIds: [b, none, a] });
    assert.deepEqual(items, [await balances(b), await balances(none), await balances(a)]);
    assert.equal(items[0]!.cash.available, '250.25');
    assert.deepEqual(items[1]!.cash, { available: '0.00', reserved: '0.00' });
    await assert.rejects(svc.call(tc, 'getBalancesOf', { accountIds: [] }), (e: unknown) => {
      assert.equal((e as AppError).code, 'contract_violation', String(e));
      return true;
    });
  });

  it('reserve a position → settle a sell: quantity to the exchange, q × fill to available cash', async () => {
    const acc = newAccount();
    await deposit(acc, '500.00');
    const buy = await svc.call(
      tc,
      'reserveCash',
      { accountId: acc, amount: '262.50', orderId: 'o-buy' },
      { idempotencyKey: key() },
    );
    await svc.call(
      tc,
      'settleTrade',
      {
        reservationId: buy.reservationId,
        orderId: 'o-buy',
        accountId: acc,
        side: 'buy',
        assetId: 'XYZ',
        quantity: '2.5',
        fillPrice: '100.00',
      },
      { idempotencyKey: key() },
    );
    assert.deepEqual(await balances(acc), {
      accountId: acc,
      cash: { available: '250.00', reserved: '0.00' },
      positions: [{ assetId: 'XYZ', available: '2.5', reserved: '0' }],
    });

    const sell = await svc.call(
      tc,
      'reservePosition',
      { accountId: acc, assetId: 'XYZ', quantity: '2', orderId: 'o-sell' },
      { idempotencyKey: key() },
    );
    assert.deepEqual((await balances(acc)).positions, [{ assetId: 'XYZ', available: '0.5', reserved: '2' }]);
    const settled = await svc.call(
      tc,
      'settleTrade',
      {
        reservationId: sell.reservationId,
        orderId: 'o-sell',
        accountId: acc,
        side: 'sell',
        assetId: 'XYZ',
        quantity: '2',
        fillPrice: '95.01',
      },
      { idempotencyKey: key() },
    );
    assert.equal(settled.cashAmount, '190.02');
    // A reservation is settled only for its own account and asset.
    await assert.rejects(
      svc.call(
        tc,
        'settleTrade',
        {
          reservationId: buy.reservationId,
          orderId: 'o-buy',
          accountId: newAccount(),
          side: 'buy',
          assetId: 'XYZ',
          quantity: '1',
          fillPrice: '1.00',
        },
        { idempotencyKey: key() },
      ),
      (e: unknown) => e instanceof AppError && e.code === 'not_found',
    );
    assert.deepEqual(await balances(acc), {
      accountId: acc,
      cash: { available: '440.02', reserved: '0.00' },
      positions: [{ assetId: 'XYZ', available: '0.5', reserved: '0' }],
    });
    // The account's own side of the sell, as the public API shows it: quantities for the ticker, money for cash.
    const sold = (await allEntries(acc)).filter((e) => e.kind === 'trade' && e.orderId === 'o-sell');
    assert.deepEqual(
      new Set(sold.map((e) => `${e.asset}/${e.book}/${e.quantity ?? ''}/${e.amount ?? ''}`)),
      new Set(['XYZ/reserved/-2/', 'USD/available//190.02']),
    );
  });

  it('refuses a reservation or a fee without the funds or the position, and changes nothing', async () => {
    const acc = newAccount();
    await deposit(acc, '50.00');
    const before = await balances(acc);
    const entriesBefore = await entryCount(acc);
    await assert.rejects(
      svc.call(tc, 'reserveCash', { accountId: acc, amount: '50.01', orderId: 'o1' }, { idempotencyKey: key() }),
      refusedWith('insufficient_funds'),
    );
    await assert.rejects(
      svc.call(
        tc,
        'chargeFee',
        { accountId: acc, amount: '50.01', orderId: 'o1', feeId: 'f-none' },
        { idempotencyKey: key() },
      ),
      refusedWith('insufficient_funds'),
    );
    await assert.rejects(
      svc.call(
        tc,
        'reservePosition',
        { accountId: acc, assetId: 'ABC', quantity: '1', orderId: 'o2' },
        { idempotencyKey: key() },
      ),
      refusedWith('insufficient_position'),
    );
    // An account the ledger has never seen has nothing either.
    await assert.rejects(
      svc.call(tc, 'reserveCash', { accountId: newAccount(), amount: '0.01' }, { idempotencyKey: key() }),
      refusedWith('insufficient_funds'),
    );
    assert.deepEqual(await balances(acc), before);
    assert.equal(await entryCount(acc), entriesBefore);
    const { rows } = await svc.database.db.query('SELECT 1 FROM reservations WHERE account_id = $1', [acc]);
    assert.equal(rows.length, 0);
  });

  it('releases a reservation exactly once', async () => {
    const acc = newAccount();
    await deposit(acc, '100.00');
    const { reservationId } = await svc.call(
      tc,
      'reserveCash',
      { accountId: acc, amount: '40.00', orderId: 'o-rel' },
      { idempotencyKey: key() },
    );
    assert.deepEqual(await cash(acc), { available: '60.00', reserved: '40.00' });
    assert.deepEqual(await svc.call(tc, 'releaseReservation', { reservationId }, { idempotencyKey: key() }), {
      released: true,
    });
    assert.deepEqual(await cash(acc), { available: '100.00', reserved: '0.00' });
    assert.deepEqual(await svc.call(tc, 'releaseReservation', { reservationId }, { idempotencyKey: key() }), {
      released: false,
    });
    assert.deepEqual(await cash(acc), { available: '100.00', reserved: '0.00' });
    await assert.rejects(
      svc.call(tc, 'releaseReservation', { reservationId: randomUUID() }, { idempotencyKey: key() }),
      (e: unknown) => e instanceof AppError && e.status === 404,
    );
    const kinds = (await allEntries(acc)).map((e) => `${e.kind}/${e.book}/${e.amount}`);
    assert.deepEqual(kinds, [
      'release/available/40.00',
      'release/reserved/-40.00',
      'reservation/reserved/40.00',
      'reservation/available/-40.00',
      'deposit/available/100.00',
    ]);
  });

  it('a repeated reservation with the same key reserves once and answers the same reservation', async () => {
    const acc = newAccount();
    await deposit(acc, '100.00');
    const k = key();
    const first = await svc.call(
      tc,
      'reserveCash',
      { accountId: acc, amount: '10.00', orderId: 'o-rep' },
      { idempotencyKey: k },
    );
    const again = await svc.call(
      tc,
      'reserveCash',
      { accountId: acc, amount: '10.00', orderId: 'o-rep' },
      { idempotencyKey: k },
    );
    assert.equal(again.reservationId, first.reservationId);
    assert.deepEqual(await cash(acc), { available: '90.00', reserved: '10.00' });
  });

  it('charges a fee once per fee id, and refunds it once', async () => {
    const acc = newAccount();
    await deposit(acc, '20.00');
    const fee = { accountId: acc, amount: '1.25', orderId: 'o-fee', feeId: `fee-${randomUUID()}` };
    const charged = await svc.call(tc, 'chargeFee', fee, { idempotencyKey: key() });
    assert.deepEqual(await cash(acc), { available: '18.75', reserved: '0.00' });
    assert.deepEqual(await svc.call(tc, 'chargeFee', fee, { idempotencyKey: key() }), charged);
    assert.deepEqual(await cash(acc), { available: '18.75', reserved: '0.00' });
    const refunded = await svc.call(tc, 'refundFee', fee, { idempotencyKey: key() });
    assert.notEqual(refunded.postingId, charged.postingId);
    await svc.call(tc, 'refundFee', fee, { idempotencyKey: key() });
    assert.deepEqual(await cash(acc), { available: '20.00', reserved: '0.00' });
    const kinds = (await allEntries(acc)).map((e) => `${e.kind}/${e.amount}`);
    assert.deepEqual(kinds, ['fee_refund/1.25', 'fee/-1.25', 'deposit/20.00']);
  });

  it('refunds only a fee it charged, and only its amount', async () => {
    const acc = newAccount();
    await deposit(acc, '20.00');
    const never = { accountId: acc, amount: '1.00', orderId: 'o-never', feeId: `fee-${randomUUID()}` };
    await assert.rejects(
      svc.call(tc, 'refundFee', never, { idempotencyKey: key() }),
      (e: unknown) => e instanceof AppError && e.code === 'not_found',
    );
    const fee = { accountId: acc, amount: '1.25', orderId: 'o-mismatch', feeId: `fee-${randomUUID()}` };
    await svc.call(tc, 'chargeFee', fee, { idempotencyKey: key() });
    await assert.rejects(
      svc.call(tc, 'refundFee', { ...fee, amount: '5.00' }, { idempotencyKey: key() }),
      (e: unknown) => e instanceof AppError && e.code === 'refund_mismatch',
    );
    await assert.rejects(
      svc.call(tc, 'refundFee', { ...fee, accountId: newAccount() }, { idempotencyKey: key() }),
      (e: unknown) => e instanceof AppError && e.code === 'not_found',
    );
    assert.deepEqual(await cash(acc), { available: '18.75', reserved: '0.00' }, 'no money from nowhere');
  });

  it('a withdrawal: reserve, then PaymentCompleted consumes the reservation to external', async () => {
    const acc = newAccount();
    await deposit(acc, '100.00');
    const paymentId = `pay-${randomUUID()}`;
    const { reservationId } = await svc.call(
      tc,
      'reserveCash',
      { accountId: acc, amount: '70.00', paymentId },
      { idempotencyKey: key() },
    );
    assert.deepEqual(await cash(acc), { available: '30.00', reserved: '70.00' });
    const event = paymentEvent(acc, 'withdrawal', '70.00', { paymentId, reservationId });
    await svc.deliver(COMPLETED, event);
    await svc.deliver(COMPLETED, event);
    await eventually(async () => (await cash(acc)).reserved === '0.00');
    assert.deepEqual(await cash(acc), { available: '30.00', reserved: '0.00' });
    // Consumed: a release (or a late PaymentFailed) gives nothing back.
    assert.deepEqual(await svc.call(tc, 'releaseReservation', { reservationId }, { idempotencyKey: key() }), {
      released: false,
    });
    const withdrawal = (await allEntries(acc)).filter((e) => e.kind === 'withdrawal');
    assert.deepEqual(
      withdrawal.map((e) => [e.book, e.amount, e.paymentId]),
      [['reserved', '-70.00', paymentId]],
    );
    assert.deepEqual(await cash(acc), { available: '30.00', reserved: '0.00' });
  });

  it('a failed withdrawal releases its reservation', async () => {
    const acc = newAccount();
    await deposit(acc, '100.00');
    const paymentId = `pay-${randomUUID()}`;
    const { reservationId } = await svc.call(
      tc,
      'reserveCash',
      { accountId: acc, amount: '60.00', paymentId },
      { idempotencyKey: key() },
    );
    await svc.deliver(FAILED, {
      ...paymentEvent(acc, 'withdrawal', '60.00', { paymentId, reservationId }),
      reason: 'provider_error',
    });
    await eventually(async () => (await cash(acc)).reserved === '0.00');
    assert.deepEqual(await cash(acc), { available: '100.00', reserved: '0.00' });
    // A failed deposit changes nothing.
    await svc.deliver(FAILED, { ...paymentEvent(acc, 'deposit', '10.00'), reason: 'card_declined' });
    assert.deepEqual(await svc.call(tc, 'releaseReservation', { reservationId }, { idempotencyKey: key() }), {
      released: false,
    });
    assert.deepEqual(await cash(acc), { available: '100.00', reserved: '0.00' });
  });

  it('concurrent reservations on one account never overdraw it', async () => {
    const acc = newAccount();
    await deposit(acc, '100.00');
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        svc.call(
          tc,
          'reserveCash',
          { accountId: acc, amount: '30.00', orderId: `o-par-${i}` },
          { idempotencyKey: key() },
        ),
      ),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected');
    assert.equal(ok.length, 3);
    assert.equal(refused.length, 7);
    for (const r of refused)
      assert.ok(
        refusedWith('insufficient_funds')((r as PromiseRejectedResult).reason),
        String((r as PromiseRejectedResult).reason),
      );
    assert.deepEqual(await cash(acc), { available: '10.00', reserved: '90.00' });
  });

  it('pages through an account’s own entries, newest first', async () => {
    const acc = newAccount();
    const other = newAccount();
    for (let i = 1; i <= 7; i++) await deposit(acc, `${i}.00`);
    await deposit(other, '5.00');
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await svc.call(tc, 'listEntries', { accountId: acc, limit: 3, ...(cursor ? { cursor } : {}) });
      assert.ok(page.items.length <= 3);
      seen.push(...page.items.map((e) => e.amount!));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    assert.equal(pages, 3);
    assert.deepEqual(seen, ['7.00', '6.00', '5.00', '4.00', '3.00', '2.00', '1.00']);
    await assert.rejects(
      svc.call(tc, 'listEntries', { accountId: acc, cursor: 'not-a-cursor' }),
      (e: unknown) => e instanceof AppError && e.status === 400,
    );
    assert.deepEqual(await svc.call(tc, 'listEntries', { accountId: newAccount() }), { items: [], nextCursor: null });
  });

  it('postPayment posts a payment once per payment (whatever the key), before and instead of PaymentCompleted', async () => {
    const acc = newAccount();
    const paymentId = `pay-${randomUUID()}`;
    const request = { paymentId, accountId: acc, kind: 'deposit' as const, amount: '1000000.00' };
    const first = await svc.call(tc, 'postPayment', request, { idempotencyKey: key() });
    const again = await svc.call(tc, 'postPayment', request, { idempotencyKey: key() });
    assert.equal(again.postingId, first.postingId, 'the same posting');
    // The event payments publishes after the posting adds nothing.
    const eventId = randomUUID();
    await svc.deliver(COMPLETED, paymentEvent(acc, 'deposit', '1000000.00', { paymentId }), { id: eventId });
    await eventually(
      async () =>
        (await svc.database.db.query('SELECT 1 FROM chassis_inbox WHERE message_id = $1', [eventId])).rows.length === 1,
    );
    assert.deepEqual(await cash(acc), { available: '1000000.00', reserved: '0.00' });
    assert.equal((await allEntries(acc)).length, 1);

    const withdrawalId = `pay-${randomUUID()}`;
    const { reservationId } = await svc.call(
      tc,
      'reserveCash',
      { accountId: acc, amount: '400000.00', paymentId: withdrawalId },
      { idempotencyKey: key() },
    );
    await svc.call(
      tc,
      'postPayment',
      { paymentId: withdrawalId, accountId: acc, kind: 'withdrawal', amount: '400000.00', reservationId },
      { idempotencyKey: key() },
    );
    assert.deepEqual(await cash(acc), { available: '600000.00', reserved: '0.00' });
  });

  it('refuses a payment over the limit per payment (validation_failed on /amount), by call or by event, and posts nothing', async () => {
    const acc = newAccount();
    for (const amount of ['1000000.01', '999999999999999.99']) {
      await assert.rejects(
        svc.call(
          tc,
          'postPayment',
          { paymentId: `pay-${randomUUID()}`, accountId: acc, kind: 'deposit', amount },
          { idempotencyKey: key() },
        ),
        (e: unknown) => {
          assert.ok(e instanceof AppError && e.code === 'validation_failed' && e.status === 400, String(e));
          assert.deepEqual(
            e.errors?.map((x) => x.path),
            ['/amount'],
          );
          return true;
        },
      );
    }
    assert.deepEqual(await cash(acc), { available: '0.00', reserved: '0.00' });
    assert.equal(await entryCount(acc), 0);
  });

  it('books beyond the range of bigint (positions and cash as large as fills can make them) stay exact, readable and balanced', async () => {
    const acc = newAccount();
    await deposit(acc, '1.00');
    const q = '999999999999'; // the largest whole quantity the formats allow
    for (let i = 0; i < 10; i++) {
      const orderId = `o-big-buy-${i}-${acc}`;
      const { reservationId } = await svc.call(
        tc,
        'reserveCash',
        { accountId: acc, amount: '0.01', orderId },
        { idempotencyKey: key() },
      );
      await svc.call(
        tc,
        'settleTrade',
        { reservationId, orderId, accountId: acc, side: 'buy', assetId: 'BIG', quantity: q, fillPrice: '0.00' },
        { idempotencyKey: key() },
      );
    }
    // 10 × 999 999 999 999 units = 9 999 999 999 990 000 000 micro-units, more than 2^63 − 1.
    assert.deepEqual(await balances(acc), {
      accountId: acc,
      cash: { available: '1.00', reserved: '0.00' },
      positions: [{ assetId: 'BIG', available: '9999999999990', reserved: '0' }],
    });
    for (let i = 0; i < 2; i++) {
      const orderId = `o-big-sell-${i}-${acc}`;
      const { reservationId } = await svc.call(
        tc,
        'reservePosition',
        { accountId: acc, assetId: 'BIG', quantity: q, orderId },
        { idempotencyKey: key() },
      );
      const sold = await svc.call(
        tc,
        'settleTrade',
        {
          reservationId,
          orderId,
          accountId: acc,
          side: 'sell',
          assetId: 'BIG',
          quantity: q,
          fillPrice: '999999999999999.99',
        },
        { idempotencyKey: key() },
      );
      assert.equal(sold.cashAmount, '999999999998999990000000000.01');
    }
    assert.deepEqual(await balances(acc), {
      accountId: acc,
      cash: { available: '1999999999997999980000000001.02', reserved: '0.00' },
      positions: [{ assetId: 'BIG', available: '7999999999992', reserved: '0' }],
    });
    const entries = await allEntries(acc);
    assert.ok(
      entries.some((e) => e.amount === '999999999998999990000000000.01'),
      JSON.stringify(entries.slice(0, 3)),
    );
    const tb = await trialBalance();
    assert.equal(tb.balanced, true, JSON.stringify(tb));
  });

  it('keeps the trial balance at zero for every asset after all of it', async () => {
    const tb = await trialBalance();
    assert.equal(tb.balanced, true);
    assert.ok(tb.assets.length >= 3, JSON.stringify(tb));
    for (const a of tb.assets) assert.equal(a.total, a.asset === 'USD' ? '0.00' : '0');
    // And the books say where the money is: deposits minus withdrawals outside, fees in the house.
    const { rows } = await svc.database.db.query<{ book: string; total: string }>(
      "SELECT book, sum(amount)::text AS total FROM entries WHERE account_id IS NULL AND asset = 'USD' GROUP BY book",
    );
    assert.ok(rows.some((r) => r.book === 'external' && BigInt(r.total) < 0n));
    // A customer book is never negative.
    const negative = await svc.database.db.query('SELECT 1 FROM balances WHERE available < 0 OR reserved < 0');
    assert.equal(negative.rows.length, 0);
  });
});
