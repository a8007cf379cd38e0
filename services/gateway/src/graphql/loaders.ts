/**
 * The loaders of one GraphQL request: every lookup a resolver makes goes through one, so a query
 * level makes one batch of calls per service, each key once, and nothing is asked twice in a
 * request.
 *
 * Truly batched (one RPC for the whole level): assets (market-data `getAssets`) and balances
 * (transactions' `getBalancesOf`; the accounts are the caller's, authorized when they were loaded).
 * Accounts listed by `accounts` are one `listAccounts` call, and prime the account loader.
 *
 * Batched at the gateway but one RPC per account (the services have no batch method for them, and
 * each is a per-account read authorized per account): `getAccount` (for `account(id)` and
 * `Order.account`), holdings' `getHoldings` (a valuation each), orders' `listOrders`
 * (`first` applies per account, which one call over all the caller's orders cannot honour), and
 * strategies' `getStrategy`. They run in parallel, deduplicated and cached for the request, and
 * the level below waits for all of them (loader.ts, `Scheduler`), so it is again one batch.
 */
import { accountsContract } from '@simplebank/accounts/contract';
import { holdingsContract } from '@simplebank/holdings/contract';
import { marketDataContract } from '@simplebank/market-data/contract';
import { ordersContract } from '@simplebank/orders/contract';
import { strategiesContract } from '@simplebank/strategies/contract';
import { MAX_ACCOUNTS_PER_CALL, transactionsContract } from '@simplebank/transactions/contract';
import type { Call, Identity, RequestOf, ResponseOf } from '@simplebank/chassis';
import { Loader, Scheduler } from './loader.ts';

type Rpc<C extends { rpc: Record<string, unknown> }, M extends keyof C['rpc']> = C['rpc'][M];
type Account = ResponseOf<Rpc<typeof accountsContract, 'getAccount'>>;
type Balances = ResponseOf<Rpc<typeof transactionsContract, 'getBalancesOf'>>['items'][number];
type Holdings = ResponseOf<Rpc<typeof holdingsContract, 'getHoldings'>>;
type OrderPage = ResponseOf<Rpc<typeof ordersContract, 'listOrders'>>;
type Asset = ResponseOf<Rpc<typeof marketDataContract, 'getAsset'>>;
type Strategy = ResponseOf<Rpc<typeof strategiesContract, 'getStrategy'>>;
type OrderStatus = NonNullable<RequestOf<Rpc<typeof ordersContract, 'listOrders'>>['status']>;

export interface OrdersKey {
  accountId: string;
  first: number;
  status?: string;
}

export interface Loaders {
  account: Loader<string, Account>;
  balances: Loader<string, Balances>;
  holdings: Loader<string, Holdings>;
  orders: Loader<OrdersKey, OrderPage>;
  /** null: no such asset. */
  asset: Loader<string, Asset | null>;
  strategy: Loader<string, Strategy>;
}

export interface GraphqlContext {
  call: Call;
  identity: Identity;
  loaders: Loaders;
}

/** market-data's getAssets takes at most this many ids. */
const ASSETS_PER_CALL = 200;

/** One call per key, in parallel; a failed key answers its error, the others their value. */
function each<K, V>(one: (key: K) => Promise<V>) {
  return (keys: readonly K[]) => Promise.all(keys.map((k) => one(k).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))))));
}

export function createLoaders(call: Call): Loaders {
  const scheduler = new Scheduler();
  return {
    account: new Loader(each((accountId: string) => call(accountsContract, 'getAccount', { accountId })), { scheduler }),
    balances: new Loader(
      async (accountIds: readonly string[]) => (await call(transactionsContract, 'getBalancesOf', { accountIds: [...accountIds] })).items,
      { maxBatchSize: MAX_ACCOUNTS_PER_CALL, scheduler },
    ),
    holdings: new Loader(each((accountId: string) => call(holdingsContract, 'getHoldings', { accountId })), { scheduler }),
    orders: new Loader(
      each((k: OrdersKey) => call(ordersContract, 'listOrders', { accountId: k.accountId, limit: k.first, ...(k.status ? { status: k.status as OrderStatus } : {}) })),
      { keyOf: (k) => JSON.stringify([k.accountId, k.first, k.status ?? null]), scheduler },
    ),
    asset: new Loader(
      async (ids: readonly string[]) => {
        const { items } = await call(marketDataContract, 'getAssets', { assetIds: [...ids] });
        const byId = new Map(items.map((a) => [a.id, a]));
        return ids.map((id) => byId.get(id) ?? null);
      },
      { maxBatchSize: ASSETS_PER_CALL, scheduler },
    ),
    strategy: new Loader(each((strategyId: string) => call(strategiesContract, 'getStrategy', { strategyId })), { scheduler }),
  };
}
