/**
 * What fees asks of the ledger, transactions (src/service.ts): it charges an order's fee to the
 * account's cash and refunds it under the same fee id; a refund of a fee never charged answers
 * not_found, which fees takes as "nothing to refund".
 */
import { expects } from '@simplebank/chassis/testing';
import { transactionsContract } from '@simplebank/transactions/contract';

export default expects(transactionsContract, {
  consumer: 'fees',
  interactions: [
    {
      description: "an order's fee is charged",
      given: 'an account with cash',
      call: 'chargeFee',
      request: { accountId: 'acc-1', amount: '1.00', orderId: 'o-fee', feeId: 'fee-charge' },
      reads: [],
    },
    {
      description: 'a charged fee is refunded',
      given: 'a fee charged',
      call: 'refundFee',
      request: { accountId: 'acc-1', amount: '1.00', orderId: 'o-refund', feeId: 'fee-refund' },
      reads: [],
    },
    {
      description: 'a fee never charged has nothing to refund',
      call: 'refundFee',
      request: { accountId: 'acc-1', amount: '1.00', orderId: 'o-none', feeId: 'fee-none' },
      error: 'not_found',
    },
  ],
});
