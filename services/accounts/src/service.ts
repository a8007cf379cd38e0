/** accounts: investment accounts and their owners. The owner is always the caller's identity. */
import { randomUUID } from 'node:crypto';
import { ForbiddenError, NotFoundError, defineService, seqCursor } from '@simplebank/chassis';
import { accountsContract } from './contract.ts';
import { DEFAULT_PAGE_SIZE, isUuid, mayOpenAccount, maySeeAccount } from './domain/accounts.ts';
import { findAccount, findAccounts, insertAccount, listByOwner } from './store.ts';

/** Opaque to clients: the position (sequence number) of the last account seen. */
const accountsCursor = seqCursor('a:');

export const accountsService = defineService({
  contract: accountsContract,
  migrations: new URL('../migrations', import.meta.url),
  rpc: {
    async openAccount(req, ctx) {
      const caller = ctx.identity;
      if (!mayOpenAccount(caller))
        throw new ForbiddenError('Only a customer opens accounts, for themself', 'forbidden');
      const account = await ctx.transaction(async (tx) => {
        const row = await insertAccount(tx, { id: randomUUID(), ownerId: caller.customerId, name: req.name });
        await tx.publish(
          accountsContract.events.AccountOpened,
          { accountId: row.id, ownerId: row.ownerId, name: row.name, currency: row.currency, openedAt: row.createdAt },
          { key: row.id },
        );
        return row;
      });
      ctx.log.info({ accountId: account.id }, 'account opened');
      return account;
    },

    async getAccount(req, ctx) {
      const account = isUuid(req.accountId) ? await findAccount(ctx.db, req.accountId) : undefined;
      if (!account || !maySeeAccount(ctx.identity, account.ownerId)) throw new NotFoundError('No such account');
      return account;
    },

    async getAccounts(req, ctx) {
      const found = new Map((await findAccounts(ctx.db, req.accountIds.filter(isUuid))).map((a) => [a.id, a]));
      return {
        items: req.accountIds.map((id) => {
          const a = found.get(id);
          return a && maySeeAccount(ctx.identity, a.ownerId) ? a : null;
        }),
      };
    },

    async listAccounts(req, ctx) {
      if (!ctx.identity) return { items: [], nextCursor: null };
      const before = req.cursor !== undefined ? String(accountsCursor.decode(req.cursor)) : undefined;
      const page = await listByOwner(ctx.db, ctx.identity.customerId, req.limit ?? DEFAULT_PAGE_SIZE, before);
      return { items: page.items, nextCursor: page.more && page.lastSeq ? accountsCursor.encode(page.lastSeq) : null };
    },
  },
});
