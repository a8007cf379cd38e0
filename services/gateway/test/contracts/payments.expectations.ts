/**
 * What the gateway reads of payments (decision 37): a deposit and a withdrawal requested on the
 * caller's account (POST /v1/accounts/{id}/deposits and /withdrawals, 202 with the payment), 422 when
 * the cash is not there, and one payment read (GET /v1/payments/{id}, 404 for an unknown one):
 * src/routes/accounts.ts passes each payment through as payments answers it. Verified against
 * payments by services/payments/test/consumer-contracts.test.ts; the gateway's stub (test/stubs.ts)
 * by test/stubs-contracts.test.ts.
 */
import { expects, type Read } from '@simplebank/chassis/testing';
import { paymentsContract } from '@simplebank/payments/contract';

const ALICE = { customerId: 'c-alice', role: 'customer' } as const;

const payment: Read[] = ['id', 'accountId', 'kind', 'method', 'amount', 'status', 'createdAt', 'updatedAt'].map(
  (path) => ({ path, type: 'string' as const }),
);

export default expects(paymentsContract, {
  consumer: 'gateway',
  interactions: [
    {
      description: "POST /v1/accounts/{id}/deposits: a card deposit on the caller's account (202 with the payment)",
      given: 'an open account of the caller with cash',
      as: ALICE,
      call: 'requestDeposit',
      request: { accountId: 'acc-alice', amount: '100.00', method: 'card', card: { number: '4111111111111111' } },
      reads: payment,
    },
    {
      description: "POST /v1/accounts/{id}/withdrawals: a withdrawal from the caller's account (202 with the payment)",
      given: 'an open account of the caller with cash',
      as: ALICE,
      call: 'requestWithdrawal',
      request: { accountId: 'acc-alice', amount: '10.00' },
      reads: payment,
    },
    {
      description: 'POST /v1/accounts/{id}/withdrawals answers 422 insufficient_funds for more than the cash',
      given: 'an open account of the caller with cash',
      as: ALICE,
      call: 'requestWithdrawal',
      request: { accountId: 'acc-alice', amount: '5000.00' },
      error: 'insufficient_funds',
    },
    {
      description: 'GET /v1/payments/{id} shows one of the caller’s payments',
      given: 'a payment of the caller',
      as: ALICE,
      call: 'getPayment',
      request: { paymentId: 'p-1' },
      reads: payment,
    },
    {
      description: 'GET /v1/payments/{id} answers 404 for an unknown payment',
      as: ALICE,
      call: 'getPayment',
      request: { paymentId: 'no-such-payment' },
      error: 'not_found',
    },
  ],
});
