/**
 * What payments asks of the ledger, transactions: a withdrawal reserves its amount first
 * (src/service.ts; insufficient_funds refuses it, with no payment stored), and a payment the
 * provider completed is posted (src/provider.ts): a deposit, or a withdrawal consuming its reservation.
 */
import { expects } from '@simplebank/chassis/testing';
import { transactionsContract } from '@simplebank/transactions/contract';

export default expects(transactionsContract, {
  consumer: 'payments',
  interactions: [
    {
      description: 'a withdrawal reserves its amount',
      given: 'an account with cash',
      call: 'reserveCash',
      request: { accountId: 'acc-1', amount: '50.00', paymentId: 'p-withdraw' },
      reads: [{ path: 'reservationId', type: 'string' }],
    },
    {
      description: 'a withdrawal beyond the available cash is refused',
      call: 'reserveCash',
      request: { accountId: 'acc-empty', amount: '50.00', paymentId: 'p-poor' },
      error: 'insufficient_funds',
    },
    {
      description: 'a completed deposit is posted',
      call: 'postPayment',
      request: { paymentId: 'p-deposit', accountId: 'acc-1', kind: 'deposit', amount: '100.00' },
      reads: [],
    },
    {
      description: 'a completed withdrawal is posted against its reservation',
      given: 'a withdrawal reserved',
      call: 'postPayment',
      request: {
        paymentId: 'p-withdrawn',
        accountId: 'acc-1',
        kind: 'withdrawal',
        amount: '50.00',
        reservationId: 'r-1',
      },
      reads: [],
    },
  ],
});
