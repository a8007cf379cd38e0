/** Stubs of the services the gateway calls, recording what they were asked (request, identity, key). */
import {
  AppError,
  BusinessRuleError,
  ConflictError,
  DeadlineExceededError,
  ForbiddenError,
  NotFoundError,
  UnauthorizedError,
  ValidationError,
  type Consumer,
  type Envelope,
  type Transport,
} from '@simplebank/chassis';
import { stubService } from '@simplebank/chassis/testing';
import { parseMoney } from '@simplebank/money';
import { accountsContract } from '@simplebank/accounts/contract';
import { customersContract } from '@simplebank/customers/contract';
import { feesContract } from '@simplebank/fees/contract';
import { holdingsContract } from '@simplebank/holdings/contract';
import { marketDataContract } from '@simplebank/market-data/contract';
import { notificationsContract } from '@simplebank/notifications/contract';
import { ordersContract } from '@simplebank/orders/contract';
import { paymentsContract } from '@simplebank/payments/contract';
import { reportingContract } from '@simplebank/reporting/contract';
import { strategiesContract } from '@simplebank/strategies/contract';
import { strategyOrdersContract } from '@simplebank/strategy-orders/contract';
import { transactionsContract } from '@simplebank/transactions/contract';

export interface Seen {
  method: string;
  request: any;
  envelope: Envelope;
}

export const NOW = '2026-11-22T10:15:30.123Z';

/** Alice's filled buy of 2 AAPL as the stub of reporting lists it. */
const reportedOrder = () => ({
  orderId: 'o-1',
  accountId: 'acc-alice',
  customerId: ALICE,
  assetId: 'AAPL',
  assetName: 'Apple Inc.',
  assetType: 'stock' as const,
  side: 'buy' as const,
  quantity: '2',
  status: 'filled' as const,
  reason: null,
  fee: '1.01',
  fillPrice: '228.97',
  notional: '457.94',
  placedAt: NOW,
  filledAt: NOW,
  source: 'customer' as const,
});

/** An account's holdings as the stub of holdings answers them: 10 AAPL bought at 100.00, now 110.00. */
const holdingsOf = (accountId: string) => ({
  accountId,
  asOf: NOW,
  valuation: 'live' as const,
  cash: { available: '4000.00', reserved: '0.00' },
  positions: [
    {
      assetId: 'AAPL',
      quantity: '10',
      reservedQuantity: '0',
      averageCost: '100.00',
      price: '110.00',
      value: '1100.00',
    },
  ],
  totalValue: '5100.00',
});
export const ALICE = 'c-alice';
export const BOB = 'c-bob';
export const ADMIN = 'c-admin';

export function customer(id: string, email: string, name: string, role: 'customer' | 'admin' = 'customer') {
  return {
    id,
    email,
    name,
    role,
    preferences: { email: true, sms: false, push: true },
    phone: null as string | null,
    createdAt: NOW,
  };
}

/** A little world: Alice owns acc-alice, Bob owns acc-bob; sessions rotate. */
export function world() {
  const seen: Seen[] = [];
  const record = (method: string, request: unknown, envelope: Envelope) => seen.push({ method, request, envelope });
  const sessions = new Map<
    string,
    { customerId: string; role: 'customer' | 'admin'; spent: boolean; sessionId: string }
  >();
  /** Ended session families (logout, reuse of a spent refresh token). */
  const revoked = new Set<string>();
  let n = 0;
  const newSession = (customerId: string, role: 'customer' | 'admin', sessionId = `sess-${n + 1}`) => {
    const refreshToken = `rt-${++n}`;
    sessions.set(refreshToken, { customerId, role, spent: false, sessionId });
    return { sessionId, refreshToken, expiresAt: NOW };
  };
  const accounts = new Map([
    [
      'acc-alice',
      {
        id: 'acc-alice',
        ownerId: ALICE,
        name: 'Main',
        currency: 'USD' as const,
        status: 'open' as const,
        createdAt: NOW,
      },
    ],
    [
      'acc-bob',
      { id: 'acc-bob', ownerId: BOB, name: 'Bob', currency: 'USD' as const, status: 'open' as const, createdAt: NOW },
    ],
  ]);
  // What an idempotent provider's chassis does with a key: first answer again, or 409 for another body.
  const firstAnswers = new Map<string, { body: string; answer: unknown }>();
  const idempotent = <R>(envelope: Envelope, request: unknown, make: () => R): R => {
    const key = envelope.idempotencyKey!;
    const body = JSON.stringify(request);
    const first = firstAnswers.get(key);
    if (first) {
      if (first.body !== body)
        throw new ConflictError('idempotency_key_reused', 'This key was used with another request');
      return first.answer as R;
    }
    const answer = make();
    firstAnswers.set(key, { body, answer });
    return answer;
  };
  const owned = (accountId: string, envelope: Envelope) => {
    const a = accounts.get(accountId);
    const who = envelope.identity;
    if (!a || !who || (who.role === 'customer' && a.ownerId !== who.customerId))
      throw new NotFoundError('No such account');
    return a;
  };
  const order = (
    id: string,
    req: { accountId: string; assetId: string; side: 'buy' | 'sell'; quantity: string },
    status: 'pending' | 'canceled' = 'pending',
  ) => ({
    id,
    accountId: req.accountId,
    assetId: req.assetId,
    side: req.side,
    quantity: req.quantity,
    type: 'market' as const,
    status,
    quotePrice: '100.00',
    limitPrice: '102.00',
    fee: '1.00',
    fillPrice: null,
    reason: null,
    createdAt: NOW,
    updatedAt: NOW,
    history: [{ status: 'pending' as const, at: NOW }],
    source: 'customer' as const,
  });

  const aliceOrder = () => order('o-1', { accountId: 'acc-alice', assetId: 'AAPL', side: 'buy', quantity: '1' });

  const stubs: Array<(t: Transport) => Promise<Consumer>> = [
    (t) =>
      stubService(t, customersContract, {
        signup: (req, env) => {
          record('signup', req, env);
          if (req.email === 'taken@example.com') throw new ConflictError('email_taken', 'Email taken');
          return customer('c-new', req.email, req.name);
        },
        verifyCredentials: (req, env) => {
          record('verifyCredentials', req, env);
          if (req.email === 'alice@example.com' && req.password === 'correct horse battery')
            return { customerId: ALICE, role: 'customer' as const };
          throw new UnauthorizedError('Wrong email or password', 'invalid_credentials');
        },
        startSession: (req, env) => {
          record('startSession', req, env);
          return newSession(req.customerId, req.customerId === ADMIN ? 'admin' : 'customer');
        },
        refreshSession: (req, env) => {
          record('refreshSession', req, env);
          const s = sessions.get(req.refreshToken);
          if (s?.spent) revoked.add(s.sessionId); // reuse detection
          if (!s || s.spent || revoked.has(s.sessionId))
            throw new UnauthorizedError('Invalid refresh token', 'invalid_refresh_token');
          s.spent = true;
          return { customerId: s.customerId, role: s.role, ...newSession(s.customerId, s.role, s.sessionId) };
        },
        endSession: (req, env) => {
          record('endSession', req, env);
          const s = sessions.get(req.refreshToken);
          if (s) revoked.add(s.sessionId);
          sessions.delete(req.refreshToken);
          return {};
        },
        sessionActive: (req, env) => {
          record('sessionActive', req, env);
          return { active: !revoked.has(req.sessionId) };
        },
        getCustomer: (req, env) => {
          record('getCustomer', req, env);
          return customer(req.customerId, 'alice@example.com', 'Alice');
        },
        updateProfile: (req, env) => {
          record('updateProfile', req, env);
          return {
            ...customer(req.customerId, 'alice@example.com', req.name ?? 'Alice'),
            preferences: { email: true, sms: false, push: true, ...req.preferences },
            phone: req.phone ?? null,
          };
        },
      }),
    (t) =>
      stubService(t, accountsContract, {
        getAccount: (req, env) => {
          record('getAccount', req, env);
          return owned(req.accountId, env);
        },
        getAccounts: (req, env) => {
          record('getAccounts', req, env);
          // As accounts answers: in the order asked, null for one that is not there or not the caller's.
          return {
            items: req.accountIds.map((id) => {
              try {
                return owned(id, env);
              } catch {
                return null;
              }
            }),
          };
        },
        listAccounts: (req, env) => {
          record('listAccounts', req, env);
          return {
            items: [...accounts.values()].filter((a) => a.ownerId === env.identity?.customerId),
            nextCursor: null,
          };
        },
        openAccount: (req, env) => {
          record('openAccount', req, env);
          return {
            id: 'acc-new',
            ownerId: env.identity!.customerId,
            name: req.name,
            currency: 'USD' as const,
            status: 'open' as const,
            createdAt: NOW,
          };
        },
      }),
    (t) =>
      stubService(t, transactionsContract, {
        getBalances: (req, env) => {
          record('getBalances', req, env);
          return { accountId: req.accountId, cash: { available: '900.00', reserved: '100.00' }, positions: [] };
        },
        getBalancesOf: (req, env) => {
          record('getBalancesOf', req, env);
          return {
            items: req.accountIds.map((accountId) => ({
              accountId,
              cash: { available: '900.00', reserved: '100.00' },
              positions: [],
            })),
          };
        },
        listEntries: (req, env) => {
          record('listEntries', req, env);
          return {
            items: [
              {
                id: 'e-1',
                at: NOW,
                kind: 'deposit' as const,
                asset: 'USD',
                amount: '1000.00',
                book: 'available' as const,
                paymentId: 'p-1',
              },
            ],
            nextCursor: 'next-page',
          };
        },
        trialBalance: (req, env) => {
          record('trialBalance', req, env);
          return { balanced: true, assets: [{ asset: 'USD', total: '0.00' }] };
        },
      }),
    (t) =>
      stubService(t, holdingsContract, {
        getHoldings: (req, env) => {
          record('getHoldings', req, env);
          return holdingsOf(owned(req.accountId, env).id);
        },
        getHoldingsOf: (req, env) => {
          record('getHoldingsOf', req, env);
          // As holdings answers: in the order asked, null for one that is not there or not the caller's.
          return {
            items: req.accountIds.map((accountId) => {
              try {
                return holdingsOf(owned(accountId, env).id);
              } catch {
                return null;
              }
            }),
          };
        },
      }),
    (t) =>
      stubService(t, reportingContract, {
        getStatement: (req, env) => {
          record('getStatement', req, env);
          return {
            accountId: req.accountId,
            from: '2026-01-01T00:00:00.000Z',
            to: '2027-01-01T00:00:00.000Z',
            openingBalance: '0.00',
            closingBalance: '498.99',
            lines: [
              { at: NOW, kind: 'deposit' as const, description: 'Deposit', amount: '500.00', balance: '500.00' },
              { at: NOW, kind: 'fee' as const, description: 'Fee, order o-1', amount: '-1.01', balance: '498.99' },
            ],
            asOf: NOW,
          };
        },
        listOrders: (req, env) => {
          record('reporting.listOrders', req, env);
          return { items: [reportedOrder()], nextCursor: null, asOf: NOW };
        },
        feeReport: (req, env) => {
          record('feeReport', req, env);
          return {
            from: '2026-01-01T00:00:00.000Z',
            to: '2027-01-01T00:00:00.000Z',
            total: '1.01',
            items: [{ day: '2026-11-22', side: 'buy' as const, assetType: 'stock' as const, count: 1, total: '1.01' }],
            asOf: NOW,
          };
        },
        rebuildProjections: (req, env) => {
          record('rebuildProjections', req, env);
          return { events: 8, orders: 1, fees: 1, postings: 4, asOf: NOW };
        },
      }),
    (t) =>
      stubService(t, paymentsContract, {
        requestDeposit: (req, env) => {
          record('requestDeposit', req, env);
          return idempotent(env, req, () => ({
            id: `p-${++n}`,
            accountId: req.accountId,
            kind: 'deposit' as const,
            method: req.method,
            amount: req.amount,
            status: 'pending' as const,
            createdAt: NOW,
            updatedAt: NOW,
          }));
        },
        requestWithdrawal: (req, env) => {
          record('requestWithdrawal', req, env);
          // Alice's account holds 900.00 of available cash (the stub of transactions says so).
          if (parseMoney(req.amount) > parseMoney('900.00'))
            throw new BusinessRuleError('insufficient_funds', 'Not enough available cash');
          return idempotent(env, req, () => ({
            id: `p-${++n}`,
            accountId: req.accountId,
            kind: 'withdrawal' as const,
            method: 'bank_transfer' as const,
            amount: req.amount,
            status: 'pending' as const,
            createdAt: NOW,
            updatedAt: NOW,
          }));
        },
        getPayment: (req, env) => {
          record('getPayment', req, env);
          // p-1: Alice's completed deposit; any other is unknown.
          if (req.paymentId !== 'p-1' || env.identity?.customerId !== ALICE) throw new NotFoundError('No such payment');
          return {
            id: 'p-1',
            accountId: 'acc-alice',
            kind: 'deposit' as const,
            method: 'bank_transfer' as const,
            amount: '1000.00',
            status: 'completed' as const,
            createdAt: NOW,
            updatedAt: NOW,
          };
        },
      }),
    (t) =>
      stubService(t, ordersContract, {
        placeOrder: (req, env) => {
          record('placeOrder', req, env);
          return idempotent(env, req, () => order(`o-${++n}`, req));
        },
        getOrder: (req, env) => {
          record('getOrder', req, env);
          if (req.orderId !== 'o-1') throw new NotFoundError('No such order');
          return aliceOrder();
        },
        listOrders: (req, env) => {
          record('listOrders', req, env);
          // Alice's account has one order, o-1; every other list is empty.
          const mine = env.identity?.customerId === ALICE && (req.accountId ?? 'acc-alice') === 'acc-alice';
          return { items: mine ? [aliceOrder()] : [], nextCursor: null };
        },
        listOrdersOf: (req, env) => {
          record('listOrdersOf', req, env);
          return {
            items: req.accountIds.map((accountId) => ({
              accountId,
              items: accountId === 'acc-alice' && env.identity?.customerId === ALICE ? [aliceOrder()] : [],
              nextCursor: null,
            })),
          };
        },
        cancelOrder: (req, env) => {
          record('cancelOrder', req, env);
          if (req.orderId === 'o-filled') throw new ConflictError('order_not_cancelable', 'The order is filled');
          return order(
            req.orderId,
            { accountId: 'acc-alice', assetId: 'AAPL', side: 'buy', quantity: '1' },
            'canceled',
          );
        },
      }),
    (t) =>
      stubService(t, feesContract, {
        getSchedule: (req, env) => {
          record('getSchedule', req, env);
          return { minimum: '1.00', rate: '0.001', effectiveFrom: NOW, version: 1 };
        },
        setSchedule: (req, env) => {
          record('setSchedule', req, env);
          return { minimum: req.minimum, rate: req.rate, effectiveFrom: NOW, version: 2 };
        },
      }),
    (t) =>
      stubService(t, marketDataContract, {
        searchAssets: (req, env) => {
          record('searchAssets', req, env);
          return {
            items: [
              {
                id: 'AAPL',
                name: 'Apple',
                type: 'stock' as const,
                currency: 'USD' as const,
                price: '190.00',
                updatedAt: NOW,
              },
            ],
            nextCursor: null,
          };
        },
        getAsset: (req, env) => {
          record('getAsset', req, env);
          if (req.assetId === 'LATE') throw new DeadlineExceededError('market-data ran out of time');
          if (req.assetId !== 'AAPL') throw new NotFoundError('No such asset');
          return {
            id: 'AAPL',
            name: 'Apple',
            type: 'stock' as const,
            currency: 'USD' as const,
            price: '190.00',
            updatedAt: NOW,
          };
        },
        getAssets: (req, env) => {
          record('getAssets', req, env);
          return {
            items: req.assetIds
              .filter((id) => id === 'AAPL')
              .map((id) => ({
                id,
                name: 'Apple',
                type: 'stock' as const,
                currency: 'USD' as const,
                price: '190.00',
                updatedAt: NOW,
              })),
          };
        },
        getPriceHistory: (req, env) => {
          record('getPriceHistory', req, env);
          if (req.assetId !== 'AAPL') throw new NotFoundError('No such asset');
          return {
            assetId: req.assetId,
            from: req.from ?? '2026-11-22T09:15:30.123Z',
            to: req.to ?? NOW,
            points: [{ at: NOW, price: '190.00' }],
          };
        },
        getPrices: (req, env) => {
          record('getPrices', req, env);
          return { items: [{ assetId: 'AAPL', price: '190.00', at: NOW }] };
        },
        pinPrice: (req, env) => {
          record('pinPrice', req, env);
          return {
            id: req.assetId,
            name: 'Apple',
            type: 'stock' as const,
            currency: 'USD' as const,
            price: req.price,
            updatedAt: NOW,
          };
        },
        unpinPrice: (req, env) => {
          record('unpinPrice', req, env);
          return {
            id: req.assetId,
            name: 'Apple',
            type: 'stock' as const,
            currency: 'USD' as const,
            price: '190.00',
            updatedAt: NOW,
          };
        },
      }),
    (t) =>
      stubService(t, notificationsContract, {
        listNotifications: (req, env) => {
          record('listNotifications', req, env);
          const items = [
            {
              id: 'n-1',
              kind: 'deposit_completed',
              title: 'Deposit completed',
              body: 'Your deposit of 10.00 USD by card is now available in your account.',
              at: NOW,
              read: false,
            },
          ];
          return { items: env.identity?.customerId === ALICE ? items : [], nextCursor: null };
        },
        markRead: (req, env) => {
          record('markRead', req, env);
          if (req.notificationId !== 'n-1' || env.identity?.customerId !== ALICE)
            throw new NotFoundError('No such notification');
          return {};
        },
        listDeliveries: (req, env) => {
          record('listDeliveries', req, env);
          const delivery = {
            id: 'd-1',
            notificationId: 'n-1',
            customerId: ALICE,
            channel: 'in_app' as const,
            to: ALICE,
            subject: 'Deposit completed',
            status: 'delivered' as const,
            attempts: 1,
            at: NOW,
          };
          return {
            items: req.customerId === undefined || req.customerId === ALICE ? [delivery] : [],
            nextCursor: null,
          };
        },
      }),
  ];
  return { seen, stubs, sessions, last: (method: string) => [...seen].reverse().find((s) => s.method === method) };
}

export const STRATEGY = {
  id: 's-1',
  name: 'Thirds',
  assets: [
    { assetId: 'AAPL', percentage: '33.33' },
    { assetId: 'MSFT', percentage: '33.33' },
    { assetId: 'SPY', percentage: '33.34' },
  ],
  createdById: ADMIN,
  createdAt: NOW,
};

/**
 * A stub of strategies (not in `world()`: the strategies tests serve it, recording into `seen`). It
 * refuses a strategy named "Short" as one whose percentages do not sum to 100, and one with the asset
 * NOPE as invalid; it knows the strategy s-1.
 */
export function strategiesStub(seen: Seen[] = []) {
  return (t: Transport) =>
    stubService(t, strategiesContract, {
      createStrategy: (request, envelope) => {
        seen.push({ method: 'createStrategy', request, envelope });
        if (request.name === 'Short')
          throw new AppError('allocations_must_sum_to_100', 'The percentages sum to 99.99, not 100', {
            status: 422,
            errors: [{ path: '/assets', message: 'percentages sum to 99.99' }],
          });
        if (request.assets.some((a) => a.assetId === 'NOPE'))
          throw new ValidationError('Unknown asset: NOPE', [{ path: '/assets/0/assetId', message: 'no asset NOPE' }]);
        return STRATEGY;
      },
      listStrategies: (request, envelope) => {
        seen.push({ method: 'listStrategies', request, envelope });
        return { items: [STRATEGY], nextCursor: 'next' };
      },
      getStrategy: (request, envelope) => {
        seen.push({ method: 'getStrategy', request, envelope });
        if (request.strategyId !== 's-1') throw new NotFoundError('Strategy not found');
        return STRATEGY;
      },
      getStrategies: (request, envelope) => {
        seen.push({ method: 'getStrategies', request, envelope });
        return { items: request.strategyIds.map((id) => (id === 's-1' ? STRATEGY : null)) };
      },
    });
}

/** Alice's investment i-1, as the stub of strategy-orders answers it: waiting for its payment. */
export const INVESTMENT = {
  id: 'i-1',
  strategyId: 's-1',
  destinationAccountId: 'acc-alice',
  amount: '1000.00',
  paymentId: 'p-9',
  status: 'awaiting_payment' as const,
  orders: [],
  skipped: [],
  invested: '0.00',
  fees: '0.00',
  leftover: '0.00',
  createdAt: NOW,
  updatedAt: NOW,
};

/**
 * A stub of strategy-orders (not in `world()`: the investments tests serve it, recording into
 * `seen`). Only a customer invests (403 otherwise); it knows Alice's investment i-1.
 */
export function strategyOrdersStub(seen: Seen[] = []) {
  return (t: Transport) =>
    stubService(t, strategyOrdersContract, {
      invest: (request, envelope) => {
        seen.push({ method: 'invest', request, envelope });
        if (envelope.identity?.role !== 'customer') throw new ForbiddenError('Investments are made by customers');
        return { ...INVESTMENT, strategyId: request.strategyId };
      },
      getInvestment: (request, envelope) => {
        seen.push({ method: 'getInvestment', request, envelope });
        if (request.investmentId !== 'i-1' || envelope.identity?.customerId !== ALICE)
          throw new NotFoundError('Investment not found');
        return INVESTMENT;
      },
      listInvestments: (request, envelope) => {
        seen.push({ method: 'listInvestments', request, envelope });
        return { items: [INVESTMENT], nextCursor: null };
      },
    });
}
