/**
 * What holdings reads of the ledger's LedgerPosted events (src/service.ts `applyPosting`): the
 * posting (applied once), the account, the kind and a trade's price (for the average cost), and
 * each entry's asset, book and amount (cash and positions).
 */
import { expects } from '@simplebank/chassis/testing';
import { transactionsContract } from '@simplebank/transactions/contract';

export default expects(transactionsContract, {
  consumer: 'holdings',
  events: [
    {
      event: 'LedgerPosted',
      description: "keeps each account's cash and positions",
      reads: [
        { path: 'postingId', type: 'string' },
        { path: 'accountId', type: 'string' },
        { path: 'kind', type: 'string' },
        { path: 'price', type: 'string' },
        { path: 'entries[].asset', type: 'string' },
        { path: 'entries[].book', type: 'string' },
        { path: 'entries[].amount', type: 'string' },
      ],
    },
  ],
});
