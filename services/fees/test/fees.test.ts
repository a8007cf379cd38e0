/** fees against real PostgreSQL, the ledger (transactions) stubbed at its contract. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AppError, BusinessRuleError, NotFoundError, type Envelope } from '@simplebank/chassis';
import { startTestService, stubService, type TestService } from '@simplebank/chassis/testing';
import { transactionsContract } from '@simplebank/transactions/contract';
import { feesContract } from '../src/contract.ts';
import { feesService } from '../src/service.ts';

type LedgerCall = {
  method: 'chargeFee' | 'refundFee';
  request: { accountId: string; amount: string; orderId: string; feeId: string };
  key: string;
};

/** A ledger stub that is idempotent on its key and on the fee id, like the real one, and records what it posted. */
function ledgerStub(poorAccounts: Set<string>) {
  const posted: LedgerCall[] = [];
  const answers = new Map<string, { postingId: string } | Error>();
  const handle = (method: LedgerCall['method']) => (request: LedgerCall['request'], envelope: Envelope) => {
    const key = `${method}:${envelope.idempotencyKey}`;
    const previous = answers.get(key);
    if (previous instanceof Error) throw previous;
    if (previous) return previous;
    if (method === 'chargeFee' && poorAccounts.has(request.accountId)) {
      const refusal = new BusinessRuleError('insufficient_funds', 'Not enough available cash');
      answers.set(key, refusal);
      throw refusal;
    }
    // As the real ledger: a fee is posted once per fee id (its posting key), whatever the key asked under.
    const charged = posted.findIndex((p) => p.method === 'chargeFee' && p.request.feeId === request.feeId);
    if (method === 'chargeFee' && charged >= 0) return { postingId: `p-${charged + 1}` };
    // As the real ledger: a refund is the reversal of a fee it charged, or not_found.
    if (method === 'refundFee' && !posted.some((p) => p.method === 'chargeFee' && p.request.feeId === request.feeId)) {
      throw new NotFoundError('No fee was charged under this fee id');
    }
    posted.push({ method, request, key: envelope.idempotencyKey! });
    const answer = { postingId: `p-${posted.length}` };
    answers.set(key, answer);
    return answer;
  };
  return { posted, handlers: { chargeFee: handle('chargeFee'), refundFee: handle('refundFee') } };
}

const customer = { customerId: 'c-1', role: 'customer' as const };
const admin = { customerId: 'a-1', role: 'admin' as const };

describe('fees', () => {
  let svc: TestService;
  const poor = new Set<string>(['acc-poor']);
  const ledger = ledgerStub(poor);

  before(async () => {
    svc = await startTestService(feesService, {
      stubs: [(t) => stubService(t, transactionsContract, ledger.handlers)],
    });
  });
  after(async () => {
    await svc?.stop();
  });

  it('starts with schedule version 1: minimum 1.00, rate 0.001; quotes by it', async () => {
    const s = await svc.callAs(customer)(feesContract, 'getSchedule', {});
    assert.equal(s.version, 1);
    assert.equal(s.minimum, '1.00');
    assert.equal(s.rate, '0.001');
    assert.deepEqual(await svc.call(feesContract, 'quoteFee', { quantity: '2', price: '100.00' }), {
      fee: '1.00',
      scheduleVersion: 1,
    });
    assert.deepEqual(await svc.call(feesContract, 'quoteFee', { quantity: '10', price: '150.05' }), {
      fee: '1.50',
      scheduleVersion: 1,
    }); // 1.5005
    assert.deepEqual(await svc.call(feesContract, 'quoteFee', { quantity: '1', price: '1005.00' }), {
      fee: '1.01',
      scheduleVersion: 1,
    }); // 1.005 half-up
  });

  it('only an admin (or the system) changes the schedule; the change applies to later quotes only', async () => {
    await assert.rejects(
      svc.callAs(customer)(feesContract, 'setSchedule', { minimum: '0.00', rate: '0.5' }),
      (e: unknown) => e instanceof AppError && e.status === 403,
    );
    const before = await svc.call(feesContract, 'quoteFee', { quantity: '10', price: '150.00' });
    const s = await svc.callAs(admin)(feesContract, 'setSchedule', { minimum: '2.50', rate: '0.0020' });
    assert.equal(s.minimum, '2.50');
    assert.equal(s.rate, '0.002');
    assert.ok(s.version > 1);
    assert.deepEqual((await svc.call(feesContract, 'getSchedule', {})).version, s.version);
    const later = await svc.call(feesContract, 'quoteFee', { quantity: '10', price: '150.00' });
    assert.deepEqual(before, { fee: '1.50', scheduleVersion: s.version - 1 });
    assert.deepEqual(later, { fee: '3.00', scheduleVersion: s.version });
    assert.deepEqual(await svc.call(feesContract, 'quoteFee', { quantity: '1', price: '10.00' }), {
      fee: '2.50',
      scheduleVersion: s.version,
    });
    await assert.rejects(
      svc.callAs(admin)(feesContract, 'setSchedule', { minimum: '1.00', rate: '1' }),
      (e: unknown) => e instanceof AppError && e.code === 'validation_failed',
    );
    // Back to the default, for the other tests.
    await svc.callAs(admin)(feesContract, 'setSchedule', { minimum: '1.00', rate: '0.001' });
  });

  it("charges an order's fee once, whatever the repeats and keys", async () => {
    const call = svc.callAs(customer);
    const first = await call(
      feesContract,
      'chargeFee',
      { orderId: 'o-1', accountId: 'acc-1', amount: '1.50' },
      { idempotencyKey: 'k-1' },
    );
    const repeat = await call(
      feesContract,
      'chargeFee',
      { orderId: 'o-1', accountId: 'acc-1', amount: '1.50' },
      { idempotencyKey: 'k-1' },
    );
    const otherKey = await call(
      feesContract,
      'chargeFee',
      { orderId: 'o-1', accountId: 'acc-1', amount: '1.50' },
      { idempotencyKey: 'k-2' },
    );
    assert.deepEqual(repeat, first);
    assert.deepEqual(otherKey, first);
    assert.equal(first.amount, '1.50');
    const charges = ledger.posted.filter((p) => p.method === 'chargeFee' && p.request.orderId === 'o-1');
    assert.equal(charges.length, 1);
    assert.deepEqual(charges[0]!.request, { accountId: 'acc-1', amount: '1.50', orderId: 'o-1', feeId: first.feeId });
    assert.equal(charges[0]!.key, 'k-1:charge');
    const events = (await svc.outbox().published(feesContract.events.FeeCharged)).filter(
      (d) => d.feeId === first.feeId,
    );
    assert.equal(events.length, 1);
  });

  it('insufficient funds: refused, nothing recorded, so nothing to refund', async () => {
    const call = svc.callAs(customer);
    await assert.rejects(
      call(
        feesContract,
        'chargeFee',
        { orderId: 'o-poor', accountId: 'acc-poor', amount: '1.00' },
        { idempotencyKey: 'k-poor' },
      ),
      (e: unknown) => e instanceof AppError && e.code === 'insufficient_funds' && e.status === 422,
    );
    const { rowCount } = await svc.database.db.query('SELECT 1 FROM fees WHERE order_id = $1', ['o-poor']);
    assert.equal(rowCount, 0);
    assert.deepEqual(await call(feesContract, 'refundFee', { orderId: 'o-poor' }, { idempotencyKey: 'r-poor' }), {
      refunded: false,
      amount: '0.00',
    });
    assert.equal(ledger.posted.filter((p) => p.request.orderId === 'o-poor').length, 0);
  });

  it('refunds a charge the ledger made whose answer was lost (no fee record), given the account and amount', async () => {
    const call = svc.callAs(customer);
    // The ledger charged (its answer never came back), and the fee record rolled back.
    const charged = await call(
      feesContract,
      'chargeFee',
      { orderId: 'o-lost', accountId: 'acc-1', amount: '1.00' },
      { idempotencyKey: 'k-lost' },
    );
    await svc.database.db.query('DELETE FROM fees WHERE order_id = $1', ['o-lost']);
    assert.deepEqual(
      await call(feesContract, 'refundFee', { orderId: 'o-lost' }, { idempotencyKey: 'r-lost-1' }),
      { refunded: false, amount: '0.00' },
      'without the account it cannot know',
    );
    assert.deepEqual(
      await call(
        feesContract,
        'refundFee',
        { orderId: 'o-lost', accountId: 'acc-1', amount: '1.00' },
        { idempotencyKey: 'r-lost-2' },
      ),
      { refunded: true, amount: '1.00' },
    );
    const refunds = ledger.posted.filter((p) => p.method === 'refundFee' && p.request.orderId === 'o-lost');
    assert.deepEqual(
      refunds.map((r) => r.request.feeId),
      [charged.feeId],
    );
    // Never charged at all: the ledger says so, nothing is refunded.
    assert.deepEqual(
      await call(
        feesContract,
        'refundFee',
        { orderId: 'o-never', accountId: 'acc-1', amount: '1.00' },
        { idempotencyKey: 'r-never' },
      ),
      { refunded: false, amount: '0.00' },
    );
  });

  it('refunds a fee once', async () => {
    const call = svc.callAs(customer);
    const charged = await call(
      feesContract,
      'chargeFee',
      { orderId: 'o-2', accountId: 'acc-1', amount: '2.25' },
      { idempotencyKey: 'k-o2' },
    );
    assert.deepEqual(await call(feesContract, 'refundFee', { orderId: 'o-2' }, { idempotencyKey: 'r-1' }), {
      refunded: true,
      amount: '2.25',
    });
    assert.deepEqual(await call(feesContract, 'refundFee', { orderId: 'o-2' }, { idempotencyKey: 'r-1' }), {
      refunded: true,
      amount: '2.25',
    }); // the same answer for the same key
    assert.deepEqual(await call(feesContract, 'refundFee', { orderId: 'o-2' }, { idempotencyKey: 'r-2' }), {
      refunded: false,
      amount: '0.00',
    });
    const refunds = ledger.posted.filter((p) => p.method === 'refundFee' && p.request.orderId === 'o-2');
    assert.equal(refunds.length, 1);
    assert.deepEqual(refunds[0]!.request, { accountId: 'acc-1', amount: '2.25', orderId: 'o-2', feeId: charged.feeId });
    assert.equal(
      (await svc.outbox().published(feesContract.events.FeeRefunded)).filter((d) => d.feeId === charged.feeId).length,
      1,
    );
    // An order without a fee: nothing to refund.
    assert.deepEqual(await call(feesContract, 'refundFee', { orderId: 'o-none' }, { idempotencyKey: 'r-3' }), {
      refunded: false,
      amount: '0.00',
    });
  });
});
