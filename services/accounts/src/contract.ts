/** accounts: investment accounts and their owners. The owner is the caller's identity, never a payload field. */
import { DateTime, Page, PageRequest, T, defineContract, event, rpc } from '@simplebank/chassis';

export const Account = T.Object({
  id: T.String(),
  ownerId: T.String(),
  name: T.String(),
  currency: T.Literal('USD'),
  status: T.Union([T.Literal('open'), T.Literal('closed')]),
  createdAt: DateTime,
});

/** The most accounts one getAccounts call may ask for. */
export const MAX_ACCOUNTS_PER_CALL = 100;

export const accountsContract = defineContract({
  service: 'accounts',
  rpc: {
    /** Opens an account owned by the calling customer. */
    openAccount: rpc({ request: T.Object({ name: T.String({ minLength: 1, maxLength: 100 }) }), response: Account }),
    /** Another customer's account answers not_found (its existence is not revealed); admins and services see all. */
    getAccount: rpc({ request: T.Object({ accountId: T.String() }), response: Account, errors: ['not_found'] }),
    /**
     * Several accounts in one call (the GraphQL gateway's batches), in the order asked: each the
     * account, or null where getAccount would answer not_found.
     */
    getAccounts: rpc({
      request: T.Object({ accountIds: T.Array(T.String(), { minItems: 1, maxItems: MAX_ACCOUNTS_PER_CALL }) }),
      response: T.Object({ items: T.Array(T.Union([Account, T.Null()])) }),
    }),
    /** The calling customer's accounts, newest first. */
    listAccounts: rpc({ request: T.Object({ ...PageRequest }), response: Page(Account) }),
  },
  events: {
    AccountOpened: event({
      data: T.Object({
        accountId: T.String(),
        ownerId: T.String(),
        name: T.String(),
        currency: T.Literal('USD'),
        openedAt: T.String(),
      }),
    }),
  },
});
