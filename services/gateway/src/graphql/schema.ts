/**
 * The executable GraphQL schema: the SDL (sdl.ts), the `Decimal` scalar, and resolvers that call
 * the same RPCs as the /v1 routes, with the caller's identity (`callFor`), through per-request
 * loaders (loaders.ts), so that one level of a query makes one batch of calls per service.
 *
 * Authorization is the services', as for /v1: an `Account` exists in an answer only once the
 * accounts service gave it to this caller (`listAccounts`, or `getAccount`, which answers
 * not_found for another customer's account), and what hangs below it (cash, holdings, orders) is
 * read only for such an account, exactly as the /v1 routes' `ownAccount` guard does.
 */
import { accountsContract } from '@simplebank/accounts/contract';
import { customersContract } from '@simplebank/customers/contract';
import { marketDataContract } from '@simplebank/market-data/contract';
import { strategiesContract } from '@simplebank/strategies/contract';
import { strategyOrdersContract } from '@simplebank/strategy-orders/contract';
import { AppError, type ResponseOf } from '@simplebank/chassis';
import {
  GraphQLError,
  GraphQLScalarType,
  Kind,
  buildSchema,
  isObjectType,
  type GraphQLFieldResolver,
  type GraphQLSchema,
} from 'graphql';
import type { GraphqlContext } from './loaders.ts';
import { MAX_FIRST } from './limits.ts';
import { SDL } from './sdl.ts';

type Account = ResponseOf<(typeof accountsContract)['rpc']['getAccount']>;
type Asset = ResponseOf<(typeof marketDataContract)['rpc']['getAsset']>;
type Strategy = ResponseOf<(typeof strategiesContract)['rpc']['getStrategy']>;
type Investment = ResponseOf<(typeof strategyOrdersContract)['rpc']['getInvestment']>;

const DECIMAL = /^-?\d{1,30}(\.\d{1,18})?$/;

function decimal(value: unknown): string {
  if (typeof value === 'string' && DECIMAL.test(value)) return value;
  throw new GraphQLError(`Decimal is a decimal number in a string (e.g. "12.50"), not ${JSON.stringify(value)}`);
}

const Decimal = new GraphQLScalarType({
  name: 'Decimal',
  serialize: decimal,
  parseValue: decimal,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING)
      throw new GraphQLError('Decimal is a decimal number in a string (e.g. "12.50"), never a float', { nodes: ast });
    return decimal(ast.value);
  },
});

/** A `first` argument: 1 to MAX_FIRST, else BAD_USER_INPUT. */
function firstOf(args: { first?: number | null }, fallback = 20): number {
  const first = args.first ?? fallback;
  if (!Number.isInteger(first) || first < 1 || first > MAX_FIRST)
    throw new GraphQLError(`first is from 1 to ${MAX_FIRST}`, { extensions: { code: 'BAD_USER_INPUT' } });
  return first;
}

/** A service's not_found as GraphQL's null-with-an-error. Other errors are mapped by `formatError`. */
function notFoundAsNull<T>(promise: Promise<T>): Promise<T | null> {
  return promise.catch((err: unknown) => {
    if (err instanceof AppError && err.status === 404)
      throw new GraphQLError(err.message, { extensions: { code: 'NOT_FOUND' }, originalError: err });
    throw err;
  });
}

type Resolvers = Record<string, Record<string, GraphQLFieldResolver<any, GraphqlContext, any>>>;

const resolvers: Resolvers = {
  Query: {
    me: (_root, _args, c) => c.call(customersContract, 'getCustomer', { customerId: c.identity.customerId }),
    accounts: async (_root, args: { first?: number | null }, c) => {
      const page = await c.call(accountsContract, 'listAccounts', { limit: firstOf(args) });
      for (const a of page.items) c.loaders.account.prime(a.id, a);
      return page.items;
    },
    account: (_root, args: { id: string }, c) => notFoundAsNull(c.loaders.account.load(args.id)),
    assets: async (_root, args: { q?: string | null; type?: Asset['type'] | null; first?: number | null }, c) => {
      const q = args.q?.trim();
      if (q && q.length > 100)
        throw new GraphQLError('q is at most 100 characters', { extensions: { code: 'BAD_USER_INPUT' } });
      const page = await c.call(marketDataContract, 'searchAssets', {
        ...(q ? { q } : {}),
        ...(args.type ? { type: args.type } : {}),
        limit: firstOf(args),
      });
      for (const a of page.items) c.loaders.asset.prime(a.id, a);
      return page.items;
    },
    strategies: async (_root, args: { first?: number | null }, c) => {
      const page = await c.call(strategiesContract, 'listStrategies', { limit: firstOf(args) });
      for (const s of page.items) c.loaders.strategy.prime(s.id, s);
      return page.items;
    },
    investment: (_root, args: { id: string }, c) =>
      notFoundAsNull(c.call(strategyOrdersContract, 'getInvestment', { investmentId: args.id })),
  },
  Account: {
    cash: async (a: Account, _args, c) => (await c.loaders.balances.load(a.id)).cash,
    currentHoldings: async (a: Account, _args, c) => {
      const h = await c.loaders.holdings.load(a.id);
      return h.positions;
    },
    orders: async (a: Account, args: { first?: number | null; status?: string | null }, c) => {
      const page = await c.loaders.orders.load({
        accountId: a.id,
        first: firstOf(args),
        ...(args.status ? { status: args.status } : {}),
      });
      return page.items;
    },
  },
  Holding: {
    asset: (p: { assetId: string }, _args, c) => c.loaders.asset.load(p.assetId),
  },
  Order: {
    asset: (o: { assetId: string }, _args, c) => c.loaders.asset.load(o.assetId),
    account: (o: { accountId: string }, _args, c) => notFoundAsNull(c.loaders.account.load(o.accountId)),
  },
  Allocation: {
    asset: (a: { assetId: string }, _args, c) => c.loaders.asset.load(a.assetId),
  },
  Strategy: {},
  Investment: {
    strategy: (i: Investment, _args, c) => notFoundAsNull(c.loaders.strategy.load(i.strategyId)),
    destinationAccount: (i: Investment, _args, c) => notFoundAsNull(c.loaders.account.load(i.destinationAccountId)),
    reason: (i: Investment) => i.reason ?? null,
  },
  InvestmentOrder: {
    asset: (o: { assetId: string }, _args, c) => c.loaders.asset.load(o.assetId),
  },
};

export type { Account, Asset, Strategy };

/** The schema, built once: the SDL with the scalar's functions and the resolvers attached (every one to a field that exists). */
export function buildGraphqlSchema(): GraphQLSchema {
  const schema = buildSchema(SDL);
  const scalar = schema.getType('Decimal') as GraphQLScalarType;
  scalar.serialize = Decimal.serialize;
  scalar.parseValue = Decimal.parseValue;
  scalar.parseLiteral = Decimal.parseLiteral;
  for (const [typeName, fields] of Object.entries(resolvers)) {
    const type = schema.getType(typeName);
    if (!isObjectType(type))
      throw new Error(`GraphQL resolvers for ${typeName}, which is not an object type of the schema`);
    for (const [fieldName, resolve] of Object.entries(fields)) {
      const field = type.getFields()[fieldName];
      if (!field) throw new Error(`GraphQL resolver for ${typeName}.${fieldName}, which is not in the schema`);
      field.resolve = resolve;
    }
  }
  return schema;
}
