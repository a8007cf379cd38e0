/**
 * What reporting reads of the ledger's LedgerPosted events (src/projections.ts): the posting, its
 * account, kind and time, the order or payment it belongs to, a trade's price, and each entry's
 * asset and amount (netted per asset for the statement).
 */
import { expects } from '@simplebank/chassis/testing';
import { transactionsContract } from '@simplebank/transactions/contract';

export default expects(transactionsContract, {
  consumer: 'reporting',
  events: [
    {
      event: 'LedgerPosted',
      description: "the account statement's movements",
      reads: [
        { path: 'postingId', type: 'string' },
        { path: 'accountId', type: 'string' },
        { path: 'kind', type: 'string' },
        { path: 'at', type: 'string' },
        { path: 'orderId', type: 'string' },
        { path: 'paymentId', type: 'string' },
        { path: 'price', type: 'string' },
        { path: 'entries[].asset', type: 'string' },
        { path: 'entries[].amount', type: 'string' },
      ],
    },
  ],
});
