/**
 * What strategy-orders asks of payments: the deposit that funds an investment, requested on the
 * caller's account under the investment's key (src/invest.ts reads its id), and, while the invest
 * saga waits for the payment's event, the payment's status as a safety net (src/saga.ts
 * `askPayment`). That also reads `reason` of a failed payment, optional in payments' contract (the
 * saga falls back to `failed`), so it is not listed: a read here must be present in every answer.
 */
import { expects } from '@simplebank/chassis/testing';
import { paymentsContract } from '@simplebank/payments/contract';

const CUSTOMER = { customerId: 'c-investor', role: 'customer' } as const;

export default expects(paymentsContract, {
  consumer: 'strategy-orders',
  interactions: [
    {
      description: "an investment is funded by a deposit on the caller's account",
      given: 'an open account of the caller with cash',
      as: CUSTOMER,
      call: 'requestDeposit',
      request: { accountId: 'acc-1', amount: '300.00', method: 'bank_transfer' },
      reads: [{ path: 'id', type: 'string' }],
    },
    {
      description: 'the invest saga asks how the payment went when its event is late',
      given: 'a payment of the caller',
      as: CUSTOMER,
      call: 'getPayment',
      request: { paymentId: 'p-1' },
      reads: [{ path: 'status', type: 'string' }],
    },
  ],
});
