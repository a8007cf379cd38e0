/**
 * The loaders of one GraphQL request: every lookup a resolver makes goes through one, so a query
 * level makes one call per service, each key once, and nothing is asked twice in a request.
 *
 * Every loader is one RPC for the whole level, to the service's batch method: accounts'
 * `getAccounts`, transactions' `getBalancesOf`, holdings' `getHoldingsOf` (one price lookup for all
 * the accounts), orders' `listOrdersOf` (the first page of each account; one call per distinct
 * `first`/`status` asked at the level, usually one), market-data's `getAssets` and strategies'
 * `getStrategies`. A batch method answers null where its one-key method would answer not_found
 * (not the caller's, or none): the loader turns that into the same NotFoundError. Accounts listed
 * by `accounts` are one `listAccounts` call, and prime the account loader. The level below waits
 * for every batch of this one (loader.ts, `Scheduler`), so it is again one batch per service.
 */
import { MAX_ACCOUNTS_PER_CALL as ACCOUNTS_PER_CALL, accountsContract } from '@simplebank/accounts/contract';
import { MAX_ACCOUNTS_PER_CALL as HOLDINGS_PER_CALL, holdingsContract } from '@simplebank/holdings/contract';
import { marketDataContract } from '@simplebank/market-data/contract';
import { MAX_ACCOUNTS_PER_CALL as ORDER_PAGES_PER_CALL, ordersContract } from '@simplebank/orders/contract';
import { MAX_STRATEGIES_PER_CALL, strategiesContract } from '@simplebank/strategies/contract';
import { MAX_ACCOUNTS_PER_CALL as BALANCES_PER_CALL, transactionsContract } from '@simplebank/transactions/contract';
import { NotFoundError, type Call, type Identity, type RequestOf, type ResponseOf } from '@simplebank/chassis';
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

/** A batch answer in the order of the keys; null (the one-key method's not_found) becomes a NotFoundError. */
function orNotFound<V>(what: string, items: ReadonlyArray<V | null>): Array<V | Error> {
  return items.map((v) => v ?? new NotFoundError(`No such ${what}`));
}

/** Orders' pages, one listOrdersOf per distinct (first, status) among the keys, in parallel. */
async function ordersPages(call: Call, keys: readonly OrdersKey[]): Promise<OrderPage[]> {
  const groups = new Map<string, OrdersKey[]>();
  for (const k of keys) {
    const g = JSON.stringify([k.first, k.status ?? null]);
    groups.set(g, [...(groups.get(g) ?? []), k]);
  }
  const pages = new Map<OrdersKey, OrderPage>();
  await Promise.all(
    [...groups.values()].map(async (group) => {
      const { first, status } = group[0]!;
      const { items } = await call(ordersContract, 'listOrdersOf', {
        accountIds: group.map((k) => k.accountId),
        limit: first,
        ...(status ? { status: status as OrderStatus } : {}),
      });
      group.forEach((k, i) => pages.set(k, { items: items[i]!.items, nextCursor: items[i]!.nextCursor }));
    }),
  );
  return keys.map((k) => pages.get(k)!);
}

export function createLoaders(call: Call): Loaders {
  const scheduler = new Scheduler();
  return {
    account: new Loader(
      async (accountIds: readonly string[]) =>
        orNotFound('account', (await call(accountsContract, 'getAccounts', { accountIds: [...accountIds] })).items),
      {
        maxBatchSize: ACCOUNTS_PER_CALL,
        scheduler,
      },
    ),
    balances: new Loader(
      async (accountIds: readonly string[]) =>
        (await call(transactionsContract, 'getBalancesOf', { accountIds: [...accountIds] })).items,
      { maxBatchSize: BALANCES_PER_CALL, scheduler },
    ),
    holdings: new Loader(
      async (accountIds: readonly string[]) =>
        orNotFound('account', (await call(holdingsContract, 'getHoldingsOf', { accountIds: [...accountIds] })).items),
      {
        maxBatchSize: HOLDINGS_PER_CALL,
        scheduler,
      },
    ),
    orders: new Loader((keys: readonly OrdersKey[]) => ordersPages(call, keys), {
      keyOf: (k) => JSON.stringify([k.accountId, k.first, k.status ?? null]),
      maxBatchSize: ORDER_PAGES_PER_CALL,
      scheduler,
    }),
    asset: new Loader(
      async (ids: readonly string[]) => {
        const { items } = await call(marketDataContract, 'getAssets', { assetIds: [...ids] });
        const byId = new Map(items.map((a) => [a.id, a]));
        return ids.map((id) => byId.get(id) ?? null);
      },
      { maxBatchSize: ASSETS_PER_CALL, scheduler },
    ),
    strategy: new Loader(
      async (strategyIds: readonly string[]) =>
        orNotFound(
          'strategy',
          (await call(strategiesContract, 'getStrategies', { strategyIds: [...strategyIds] })).items,
        ),
      {
        maxBatchSize: MAX_STRATEGIES_PER_CALL,
        scheduler,
      },
    ),
  };
}
