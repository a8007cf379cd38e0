/** accounts: investment accounts and their owners. The owner is the caller's identity, never a payload field. */
import { Page, PageRequest, T, defineContract, event, rpc } from '@simplebank/chassis';

export const Account = T.Object({
  id: T.String(),
  ownerId: T.String(),
  name: T.String(),
  currency: T.Literal('USD'),
  status: T.Union([T.Literal('open'), T.Literal('closed')]),
  createdAt: T.String({ format: 'date-time' }),
});

export const accountsContract = defineContract({
  service: 'accounts',
  rpc: {
    /** Opens an account owned by the calling customer. */
    openAccount: rpc({ request: T.Object({ name: T.String({ minLength: 1, maxLength: 100 }) }), response: Account }),
    /** Another customer's account answers not_found (its existence is not revealed); admins and services see all. */
    getAccount: rpc({ request: T.Object({ accountId: T.String() }), response: Account, errors: ['not_found'] }),
    /** The calling customer's accounts, newest first. */
    listAccounts: rpc({ request: T.Object({ ...PageRequest }), response: Page(Account) }),
  },
  events: {
    AccountOpened: event({ data: T.Object({ accountId: T.String(), ownerId: T.String(), name: T.String(), currency: T.Literal('USD'), openedAt: T.String() }) }),
  },
});
