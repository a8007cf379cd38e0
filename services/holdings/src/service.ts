/**
 * holdings: positions per account projected from the ledger's events, valued at current prices —
 * live from market-data, else from prices cached at most 5 minutes ago, else not valued at all.
 * Never an error because prices are missing.
 *
 * Valuation is lazy: prices are asked for when holdings are read, and the prices seen are cached
 * then (price-cache.ts, valuation.ts). holdings does not consume PriceChanged: keeping a cache of every price
 * fresh cost a commit per price tick of every asset, held or not, read or not.
 */
import { defineService, on, type DataOf, type MessageContext } from '@simplebank/chassis';
import { accountsContract } from '@simplebank/accounts/contract';
import { transactionsContract } from '@simplebank/transactions/contract';
import { holdingsContract } from './contract.ts';
import { applyToPosition, cashChange, assetsOf } from './domain/positions.ts';
import * as store from './store.ts';
import { valueAccounts } from './valuation.ts';

async function applyPosting(
  data: DataOf<typeof transactionsContract.events.LedgerPosted>,
  ctx: MessageContext,
): Promise<void> {
  const posting = { kind: data.kind, price: data.price, entries: data.entries };
  const cash = data.entries.some((e) => e.asset === 'USD') ? cashChange(posting) : undefined;
  if (!(await store.applyOnce(ctx.tx, data.postingId, data.accountId, cash))) {
    ctx.log.info({ postingId: data.postingId }, 'posting already applied');
    return;
  }
  for (const assetId of assetsOf(posting).sort()) {
    const position = await store.getPositionForUpdate(ctx.tx, data.accountId, assetId);
    await store.savePosition(ctx.tx, data.accountId, applyToPosition(position, posting));
  }
}

export const holdingsService = defineService({
  contract: holdingsContract,
  migrations: new URL('../migrations', import.meta.url),
  rpc: {
    async getHoldings(req, ctx) {
      // Authorization: accounts answers not_found for another customer's account (propagated as is).
      await ctx.call(accountsContract, 'getAccount', { accountId: req.accountId });
      return (await valueAccounts(ctx, [req.accountId]))[0]!;
    },

    async getHoldingsOf(req, ctx) {
      // Authorization: accounts answers null for what the caller may not see (one call for all).
      const { items: accounts } = await ctx.call(accountsContract, 'getAccounts', { accountIds: req.accountIds });
      const visible = req.accountIds.filter((_, i) => accounts[i] !== null);
      const valued = new Map(
        (visible.length > 0 ? await valueAccounts(ctx, visible) : []).map((h) => [h.accountId, h]),
      );
      return { items: req.accountIds.map((id) => valued.get(id) ?? null) };
    },
  },
  handlers: [
    // Only holdings' own rows: postings that arrive together share a commit.
    on(transactionsContract.events.LedgerPosted, applyPosting, { batch: true }),
  ],
});
