/**
 * holdings honours what its consumers expect of it (decision 37): every
 * services/<consumer>/test/contracts/holdings.expectations.ts, against the real service, with accounts
 * (who owns which account) and market-data (prices quoted now) stubbed at their contracts. The state
 * opens an account for the caller, delivers the ledger's postings of a deposit and a buy, waits until
 * holdings shows the position, and hands the interaction the account's id.
 */
import { randomUUID } from 'node:crypto';
import { NotFoundError, type Transport } from '@simplebank/chassis';
import { eventually, stubService, verifyConsumerExpectations } from '@simplebank/chassis/testing';
import { accountsContract } from '@simplebank/accounts/contract';
import { marketDataContract } from '@simplebank/market-data/contract';
import { transactionsContract } from '@simplebank/transactions/contract';
import { holdingsContract } from '../src/contract.ts';
import { holdingsService } from '../src/service.ts';

const owners = new Map<string, string>();
const account = (id: string, ownerId: string) => ({
  id,
  ownerId,
  name: 'Main',
  currency: 'USD' as const,
  status: 'open' as const,
  createdAt: new Date().toISOString(),
});
const mine = (accountId: string, who: { customerId: string; role: string } | undefined) => {
  const owner = owners.get(accountId);
  return owner !== undefined && who !== undefined && (who.role === 'admin' || who.customerId === owner)
    ? owner
    : undefined;
};
const accounts = (t: Transport) =>
  stubService(t, accountsContract, {
    getAccount: ({ accountId }, envelope) => {
      const owner = mine(accountId, envelope.identity);
      if (!owner) throw new NotFoundError('Account not found');
      return account(accountId, owner);
    },
    getAccounts: ({ accountIds }, envelope) => ({
      items: accountIds.map((accountId) => {
        const owner = mine(accountId, envelope.identity);
        return owner ? account(accountId, owner) : null;
      }),
    }),
  });
const marketData = (t: Transport) =>
  stubService(t, marketDataContract, {
    getPrices: ({ assetIds }) => ({
      items: (assetIds ?? ['AAPL'])
        .filter((assetId) => assetId === 'AAPL')
        .map((assetId) => ({ assetId, price: '110.00', at: new Date().toISOString() })),
    }),
  });

type Entry = { asset: string; book: 'available' | 'reserved'; amount: string };
const posting = (accountId: string, kind: 'deposit' | 'trade', entries: Entry[], price?: string) => ({
  postingId: randomUUID(),
  accountId,
  kind,
  at: new Date().toISOString(),
  entries,
  ...(price ? { price } : {}),
});

await verifyConsumerExpectations(holdingsService, {
  servicesDir: new URL('../..', import.meta.url),
  stubs: [accounts, marketData],
  states: {
    'an account of the caller with a position': async ({ service, identity }) => {
      const accountId = `acc-${randomUUID()}`;
      owners.set(accountId, identity.customerId);
      const posted = transactionsContract.events.LedgerPosted;
      await service.deliver(
        posted,
        posting(accountId, 'deposit', [{ asset: 'USD', book: 'available', amount: '5000.00' }]),
      );
      await service.deliver(
        posted,
        posting(
          accountId,
          'trade',
          [
            { asset: 'USD', book: 'available', amount: '-1000.00' },
            { asset: 'AAPL', book: 'available', amount: '10' },
          ],
          '100.00',
        ),
      );
      await eventually(async () => {
        const h = await service.callAs(identity)(holdingsContract, 'getHoldings', { accountId });
        return h.positions.length > 0 ? h : undefined;
      });
      return { request: { accountId, accountIds: [accountId] } };
    },
  },
});
