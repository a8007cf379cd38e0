import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { AppError, type Queryable } from '@simplebank/chassis';
import { createTestDatabase, eventually, startTestService, type TestService } from '@simplebank/chassis/testing';
import { paymentsContract } from '../src/contract.ts';
import { paymentsService } from '../src/service.ts';
import { paymentsSettings } from '../src/settings.ts';
import { World } from './world.ts';

const isError = (code: string, status: number) => (e: unknown) => {
  assert.ok(e instanceof AppError, `expected an AppError, got ${String(e)}`);
  assert.equal(e.code, code);
  assert.equal(e.status, status);
  return true;
};

async function events(db: Queryable, type: string, paymentId: string): Promise<Array<Record<string, unknown>>> {
  const { rows } = await db.query<{ body: string }>(
    'SELECT body FROM chassis_outbox WHERE destination = $1 ORDER BY id',
    [type],
  );
  return rows.map((r) => JSON.parse(r.body).data as Record<string, unknown>).filter((d) => d.paymentId === paymentId);
}

describe('payments', () => {
  const world = new World();
  let svc: TestService;
  before(async () => {
    paymentsSettings.load({ PAYMENT_PROVIDER_DELAY_MS: '50' });
    svc = await startTestService(paymentsService, { stubs: world.stubs() });
  });
  after(async () => {
    await svc.stop();
  });

  const customer = () => {
    const customerId = randomUUID();
    return { customerId, call: svc.callAs({ customerId, role: 'customer' }) };
  };
  const completed = paymentsContract.events.PaymentCompleted.type;
  const failed = paymentsContract.events.PaymentFailed.type;

  /** Waits for the payment's final state, as its owner would (polling). */
  const settled = (call: ReturnType<typeof customer>['call'], paymentId: string) =>
    eventually(async () => {
      const p = await call(paymentsContract, 'getPayment', { paymentId });
      return (p.status === 'completed' || p.status === 'failed') && p;
    });

  it('a card deposit is pending, then completed, with exactly one PaymentCompleted', async () => {
    const alice = customer();
    const accountId = world.openAccount(alice.customerId);
    const p = await alice.call(
      paymentsContract,
      'requestDeposit',
      { accountId, amount: '250.75', method: 'card', card: { number: '4111111111111111' } },
      { idempotencyKey: randomUUID() },
    );
    assert.equal(p.status, 'pending');
    assert.equal(p.kind, 'deposit');
    assert.equal(p.amount, '250.75');
    assert.equal(p.accountId, accountId);
    const done = await settled(alice.call, p.id);
    assert.equal(done.status, 'completed');
    assert.equal(done.reason, undefined);
    assert.deepEqual(
      world.postings.get(p.id),
      { accountId, kind: 'deposit', amount: '250.75', reservationId: undefined, key: `payments:post:${p.id}` },
      'posted in the ledger',
    );

    // Another deposit completing afterwards shows the provider went round again: still one event for the first.
    const barrier = await alice.call(
      paymentsContract,
      'requestDeposit',
      { accountId, amount: '1.00', method: 'bank_transfer' },
      { idempotencyKey: randomUUID() },
    );
    assert.equal((await settled(alice.call, barrier.id)).status, 'completed');
    assert.deepEqual(await events(svc.database.db, completed, p.id), [
      { paymentId: p.id, accountId, customerId: alice.customerId, kind: 'deposit', method: 'card', amount: '250.75' },
    ]);
    assert.deepEqual(await events(svc.database.db, failed, p.id), []);
  });

  it('keeps only the last 4 digits of a card, nowhere the number', async () => {
    const alice = customer();
    const accountId = world.openAccount(alice.customerId);
    const p = await alice.call(
      paymentsContract,
      'requestDeposit',
      { accountId, amount: '10.00', method: 'card', card: { number: '5555444433331111' } },
      { idempotencyKey: randomUUID() },
    );
    const { rows } = await svc.database.db.query<{ card_last4: string }>(
      'SELECT card_last4 FROM payments WHERE id = $1',
      [p.id],
    );
    assert.equal(rows[0]!.card_last4, '1111');
    await settled(alice.call, p.id);
    const dump = await svc.database.db.query<{ t: string }>("SELECT string_agg(body, ' ') AS t FROM chassis_outbox");
    const idem = await svc.database.db.query<{ t: string }>(
      "SELECT string_agg(coalesce(response, ''), ' ') AS t FROM chassis_idempotency",
    );
    assert.ok(!`${dump.rows[0]!.t} ${idem.rows[0]!.t}`.includes('5555444433331111'));
  });

  it('the declined test card fails the deposit with card_declined and PaymentFailed', async () => {
    const alice = customer();
    const accountId = world.openAccount(alice.customerId);
    const p = await alice.call(
      paymentsContract,
      'requestDeposit',
      { accountId, amount: '99.99', method: 'card', card: { number: '4000000000000002' } },
      { idempotencyKey: randomUUID() },
    );
    const done = await settled(alice.call, p.id);
    assert.equal(done.status, 'failed');
    assert.equal(done.reason, 'card_declined');
    assert.deepEqual(await events(svc.database.db, failed, p.id), [
      {
        paymentId: p.id,
        accountId,
        customerId: alice.customerId,
        kind: 'deposit',
        method: 'card',
        amount: '99.99',
        reason: 'card_declined',
      },
    ]);
    assert.deepEqual(await events(svc.database.db, completed, p.id), []);
  });

  it('a replay with the same key returns the same payment and stores one; another body with it is refused', async () => {
    const alice = customer();
    const accountId = world.openAccount(alice.customerId);
    const key = randomUUID();
    const request = { accountId, amount: '40.00', method: 'bank_transfer' as const };
    const first = await alice.call(paymentsContract, 'requestDeposit', request, { idempotencyKey: key });
    const again = await alice.call(paymentsContract, 'requestDeposit', request, { idempotencyKey: key });
    assert.deepEqual(again, first);
    await assert.rejects(
      alice.call(paymentsContract, 'requestDeposit', { ...request, amount: '41.00' }, { idempotencyKey: key }),
      isError('idempotency_key_reused', 409),
    );
    const { rows } = await svc.database.db.query<{ n: string }>(
      'SELECT count(*)::text AS n FROM payments WHERE account_id = $1',
      [accountId],
    );
    assert.equal(rows[0]!.n, '1');
    await settled(alice.call, first.id);
    assert.equal((await events(svc.database.db, completed, first.id)).length, 1);
  });

  it('refuses a card deposit without a card, and a zero amount (validation_failed), storing nothing', async () => {
    const alice = customer();
    const accountId = world.openAccount(alice.customerId);
    await assert.rejects(
      alice.call(
        paymentsContract,
        'requestDeposit',
        { accountId, amount: '10.00', method: 'card' },
        { idempotencyKey: randomUUID() },
      ),
      (e: unknown) => {
        isError('validation_failed', 400)(e);
        assert.deepEqual(
          (e as AppError).errors?.map((x) => x.path),
          ['/card'],
        );
        return true;
      },
    );
    await assert.rejects(
      alice.call(
        paymentsContract,
        'requestDeposit',
        { accountId, amount: '0.00', method: 'bank_transfer' },
        { idempotencyKey: randomUUID() },
      ),
      isError('validation_failed', 400),
    );
    await assert.rejects(
      alice.call(
        paymentsContract,
        'requestWithdrawal',
        { accountId, amount: '0.00' },
        { idempotencyKey: randomUUID() },
      ),
      isError('validation_failed', 400),
    );
    const { rows } = await svc.database.db.query<{ n: string }>(
      'SELECT count(*)::text AS n FROM payments WHERE account_id = $1',
      [accountId],
    );
    assert.equal(rows[0]!.n, '0');
  });

  it('refuses a deposit or a withdrawal over the limit per payment (validation_failed on /amount), storing and reserving nothing; the limit itself is taken', async () => {
    const alice = customer();
    const accountId = world.openAccount(alice.customerId, '999999999999999.99');
    const onAmount = (e: unknown) => {
      isError('validation_failed', 400)(e);
      assert.deepEqual(
        (e as AppError).errors?.map((x) => x.path),
        ['/amount'],
      );
      return true;
    };
    for (const amount of ['999999999999999.99', '1000000.01']) {
      await assert.rejects(
        alice.call(
          paymentsContract,
          'requestDeposit',
          { accountId, amount, method: 'bank_transfer' },
          { idempotencyKey: randomUUID() },
        ),
        onAmount,
      );
      await assert.rejects(
        alice.call(
          paymentsContract,
          'requestDeposit',
          { accountId, amount, method: 'card', card: { number: '4242424242424242' } },
          { idempotencyKey: randomUUID() },
        ),
        onAmount,
      );
      await assert.rejects(
        alice.call(paymentsContract, 'requestWithdrawal', { accountId, amount }, { idempotencyKey: randomUUID() }),
        onAmount,
      );
    }
    assert.equal(world.reservations.filter((r) => r.request.accountId === accountId).length, 0, 'nothing reserved');
    const { rows } = await svc.database.db.query<{ n: string }>(
      'SELECT count(*)::text AS n FROM payments WHERE account_id = $1',
      [accountId],
    );
    assert.equal(rows[0]!.n, '0');
    const atLimit = await alice.call(
      paymentsContract,
      'requestDeposit',
      { accountId, amount: '1000000.00', method: 'bank_transfer' },
      { idempotencyKey: randomUUID() },
    );
    assert.equal((await settled(alice.call, atLimit.id)).status, 'completed');
  });

  it('a payment is completed only once the ledger posted it: settling while the ledger is down, no PaymentCompleted before', async () => {
    const alice = customer();
    const accountId = world.openAccount(alice.customerId);
    world.ledgerDown = true;
    try {
      const p = await alice.call(
        paymentsContract,
        'requestDeposit',
        { accountId, amount: '12.34', method: 'bank_transfer' },
        { idempotencyKey: randomUUID() },
      );
      const waiting = await eventually(async () => {
        const now = await alice.call(paymentsContract, 'getPayment', { paymentId: p.id });
        return now.status !== 'pending' && now;
      });
      assert.equal(waiting.status, 'settling', 'not completed while the ledger has not posted it');
      assert.equal(waiting.reason, 'service_unavailable');
      assert.deepEqual(await events(svc.database.db, completed, p.id), [], 'no PaymentCompleted yet');
      assert.equal(world.postings.has(p.id), false);
      world.ledgerDown = false;
      const done = await settled(alice.call, p.id);
      assert.equal(done.status, 'completed');
      assert.equal(done.reason, undefined);
      assert.ok(world.postings.has(p.id), 'posted');
      assert.equal((await events(svc.database.db, completed, p.id)).length, 1);
    } finally {
      world.ledgerDown = false;
    }
  });

  it("someone else's account is not_found, for deposits, withdrawals and payments", async () => {
    const alice = customer();
    const mallory = customer();
    const accountId = world.openAccount(alice.customerId, '500.00');
    await assert.rejects(
      mallory.call(
        paymentsContract,
        'requestDeposit',
        { accountId, amount: '10.00', method: 'bank_transfer' },
        { idempotencyKey: randomUUID() },
      ),
      isError('not_found', 404),
    );
    await assert.rejects(
      mallory.call(
        paymentsContract,
        'requestWithdrawal',
        { accountId, amount: '10.00' },
        { idempotencyKey: randomUUID() },
      ),
      isError('not_found', 404),
    );
    assert.equal(world.available.get(accountId), 50000n, 'nothing reserved');
    const { rows } = await svc.database.db.query<{ n: string }>(
      'SELECT count(*)::text AS n FROM payments WHERE account_id = $1',
      [accountId],
    );
    assert.equal(rows[0]!.n, '0');
    const own = await alice.call(
      paymentsContract,
      'requestDeposit',
      { accountId, amount: '10.00', method: 'bank_transfer' },
      { idempotencyKey: randomUUID() },
    );
    await assert.rejects(
      mallory.call(paymentsContract, 'getPayment', { paymentId: own.id }),
      isError('not_found', 404),
    );
    await assert.rejects(
      alice.call(paymentsContract, 'getPayment', { paymentId: randomUUID() }),
      isError('not_found', 404),
    );
    assert.equal((await alice.call(paymentsContract, 'getPayment', { paymentId: own.id })).id, own.id);
  });

  it('a closed account takes no payments', async () => {
    const alice = customer();
    const accountId = world.openAccount(alice.customerId, '0.00', 'closed');
    await assert.rejects(
      alice.call(
        paymentsContract,
        'requestDeposit',
        { accountId, amount: '10.00', method: 'bank_transfer' },
        { idempotencyKey: randomUUID() },
      ),
      isError('account_closed', 422),
    );
  });

  it('a withdrawal beyond the available cash is refused with insufficient_funds and stores no payment', async () => {
    const alice = customer();
    const accountId = world.openAccount(alice.customerId, '100.00');
    await assert.rejects(
      alice.call(
        paymentsContract,
        'requestWithdrawal',
        { accountId, amount: '100.01' },
        { idempotencyKey: randomUUID() },
      ),
      isError('insufficient_funds', 422),
    );
    const { rows } = await svc.database.db.query<{ n: string }>(
      'SELECT count(*)::text AS n FROM payments WHERE account_id = $1',
      [accountId],
    );
    assert.equal(rows[0]!.n, '0');
    assert.equal(world.available.get(accountId), 10000n);
  });

  it('a withdrawal reserves the cash with a derived key, then completes with its reservation', async () => {
    const alice = customer();
    const accountId = world.openAccount(alice.customerId, '100.00');
    const key = randomUUID();
    const p = await alice.call(
      paymentsContract,
      'requestWithdrawal',
      { accountId, amount: '60.50' },
      { idempotencyKey: key },
    );
    assert.equal(p.kind, 'withdrawal');
    assert.equal(p.method, 'bank_transfer');
    assert.equal(p.status, 'pending');
    const reservation = world.reservations.find((r) => r.request.paymentId === p.id);
    assert.ok(reservation);
    assert.deepEqual(reservation.request, { accountId, amount: '60.50', paymentId: p.id });
    assert.equal(reservation.key, `${key}:reserve`);
    assert.equal(world.available.get(accountId), 3950n);
    assert.equal((await settled(alice.call, p.id)).status, 'completed');
    assert.equal(
      world.postings.get(p.id)?.reservationId,
      reservation.reservationId,
      'the reservation consumed in the ledger',
    );
    assert.deepEqual(await events(svc.database.db, completed, p.id), [
      {
        paymentId: p.id,
        accountId,
        customerId: alice.customerId,
        kind: 'withdrawal',
        method: 'bank_transfer',
        amount: '60.50',
        reservationId: reservation.reservationId,
      },
    ]);
    // The replay neither reserves again nor stores another payment.
    assert.deepEqual(
      (await alice.call(paymentsContract, 'requestWithdrawal', { accountId, amount: '60.50' }, { idempotencyKey: key }))
        .id,
      p.id,
    );
    assert.equal(world.reservations.filter((r) => r.request.accountId === accountId).length, 1);
  });
});

describe('payments across a restart', () => {
  after(() => {
    paymentsSettings.load({});
  });

  it('a payment pending when the service stops completes once after it starts again on the same database', async () => {
    const world = new World();
    paymentsSettings.load({ PAYMENT_PROVIDER_DELAY_MS: '1500' });
    const database = await createTestDatabase('payments');
    try {
      const customerId = randomUUID();
      const accountId = world.openAccount(customerId);
      const first = await startTestService(paymentsService, { stubs: world.stubs(), database });
      const p = await first.callAs({ customerId, role: 'customer' })(
        paymentsContract,
        'requestDeposit',
        { accountId, amount: '75.00', method: 'bank_transfer' },
        { idempotencyKey: randomUUID() },
      );
      await first.stop();
      const { rows } = await database.db.query<{ status: string }>('SELECT status FROM payments WHERE id = $1', [p.id]);
      assert.equal(rows[0]!.status, 'pending', 'still pending when the service stopped');

      const second = await startTestService(paymentsService, { stubs: world.stubs(), database });
      try {
        const call = second.callAs({ customerId, role: 'customer' });
        const done = await eventually(async () => {
          const now = await call(paymentsContract, 'getPayment', { paymentId: p.id });
          return (now.status === 'completed' || now.status === 'failed') && now;
        });
        assert.equal(done.status, 'completed');
        const barrier = await call(
          paymentsContract,
          'requestDeposit',
          { accountId, amount: '1.00', method: 'bank_transfer' },
          { idempotencyKey: randomUUID() },
        );
        await eventually(
          async () => (await call(paymentsContract, 'getPayment', { paymentId: barrier.id })).status === 'completed',
        );
        assert.equal((await events(database.db, paymentsContract.events.PaymentCompleted.type, p.id)).length, 1);
      } finally {
        await second.stop();
      }
    } finally {
      await database.drop();
    }
  });

  it('two instances on one database answer each payment once', async () => {
    const world = new World();
    paymentsSettings.load({ PAYMENT_PROVIDER_DELAY_MS: '20' });
    const database = await createTestDatabase('payments');
    const a = await startTestService(paymentsService, { stubs: world.stubs(), database });
    const b = await startTestService(paymentsService, { stubs: world.stubs(), database });
    try {
      const customerId = randomUUID();
      const accountId = world.openAccount(customerId);
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) {
        const via = (i % 2 === 0 ? a : b).callAs({ customerId, role: 'customer' });
        ids.push(
          (
            await via(
              paymentsContract,
              'requestDeposit',
              { accountId, amount: `${i + 1}.00`, method: 'bank_transfer' },
              { idempotencyKey: randomUUID() },
            )
          ).id,
        );
      }
      await eventually(async () => {
        const { rows } = await database.db.query<{ n: string }>(
          "SELECT count(*)::text AS n FROM payments WHERE status IN ('pending', 'settling')",
        );
        return rows[0]!.n === '0';
      });
      const barrier = await a.callAs({ customerId, role: 'customer' })(
        paymentsContract,
        'requestDeposit',
        { accountId, amount: '1.00', method: 'bank_transfer' },
        { idempotencyKey: randomUUID() },
      );
      await eventually(
        async () =>
          (await a.callAs({ customerId, role: 'customer' })(paymentsContract, 'getPayment', { paymentId: barrier.id }))
            .status === 'completed',
      );
      for (const id of ids)
        assert.equal(
          (await events(database.db, paymentsContract.events.PaymentCompleted.type, id)).length,
          1,
          `one PaymentCompleted for ${id}`,
        );
    } finally {
      await a.stop();
      await b.stop();
      await database.drop();
    }
  });
});
