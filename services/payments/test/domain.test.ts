import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkAmount, maySeePayment, planDeposit, providerAnswer, uuidFromHex } from '../src/domain/payments.ts';

describe('payments domain', () => {
  it('the declined test card fails, any other card and a bank transfer succeed', () => {
    assert.deepEqual(providerAnswer('4000000000000002'), { status: 'failed', reason: 'card_declined' });
    assert.deepEqual(providerAnswer('4111111111111111'), { status: 'completed' });
    assert.deepEqual(providerAnswer(undefined), { status: 'completed' });
  });

  it('plans a deposit: the amount in cents, only the last 4 digits of the card', () => {
    assert.deepEqual(planDeposit({ amount: '1234.56', method: 'card', card: { number: '4000000000000002' } }), {
      amount: 123456n,
      cardLast4: '0002',
      outcome: { status: 'failed', reason: 'card_declined' },
    });
    assert.deepEqual(planDeposit({ amount: '0.01', method: 'bank_transfer' }), {
      amount: 1n,
      cardLast4: undefined,
      outcome: { status: 'completed' },
    });
  });

  it('refuses a card deposit without a card, a card with a transfer, and nothing to pay', () => {
    assert.deepEqual(planDeposit({ amount: '10.00', method: 'card' }), {
      problems: [{ path: '/card', message: 'is required when method is card' }],
    });
    assert.deepEqual(planDeposit({ amount: '10.00', method: 'bank_transfer', card: { number: '4111111111111111' } }), {
      problems: [{ path: '/card', message: 'is allowed only when method is card' }],
    });
    assert.deepEqual(planDeposit({ amount: '0.00', method: 'bank_transfer' }), {
      problems: [{ path: '/amount', message: 'must be more than 0.00' }],
    });
    assert.deepEqual(checkAmount('0.00'), { problem: { path: '/amount', message: 'must be more than 0.00' } });
    assert.deepEqual(checkAmount('12.30'), { amount: 1230n });
  });

  it('a customer sees own payments only', () => {
    assert.equal(maySeePayment({ customerId: 'c', role: 'customer' }, 'c'), true);
    assert.equal(maySeePayment({ customerId: 'c', role: 'customer' }, 'd'), false);
    assert.equal(maySeePayment(undefined, 'd'), false);
  });

  it('derives a well-formed UUID from a hash', () => {
    const id = uuidFromHex('ffffffffffffffffffffffffffffffffffffffffffffffff');
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(uuidFromHex('ffffffffffffffffffffffffffffffffffffffffffffffff'), id);
  });
});
