/**
 * Accounts, their cash (transactions' balances), ledger entries and holdings; deposits and
 * withdrawals (payments). Every /accounts/{accountId}… route has the `ownAccount` guard: the
 * account is the caller's, or the answer is 404 before anything else happens.
 */
import { T, type Call, type Static } from '@simplebank/chassis';
import { accountsContract } from '@simplebank/accounts/contract';
import { holdingsContract } from '@simplebank/holdings/contract';
import { paymentsContract } from '@simplebank/payments/contract';
import { transactionsContract } from '@simplebank/transactions/contract';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { accountOf, who } from '../http/auth.ts';
import { IdempotencyHeaders, idempotencyKeyFor } from '../http/idempotency.ts';
import { problems } from '../http/openapi.ts';
import { pageOf } from '../http/pagination.ts';
import { HttpProblem } from '../http/problem.ts';
import { callFor, type OwnAccount } from '../http/request-context.ts';
import {
  Account,
  Holdings,
  Id,
  LedgerEntry,
  Page,
  PageQuery,
  Payment,
  PaymentMethod,
  PositiveAmount,
  Strict,
} from '../http/schemas.ts';
import { bearer, type Deps } from './deps.ts';

const AccountParams = T.Object({ accountId: Id }, Strict);
const PaymentParams = T.Object({ paymentId: Id }, Strict);
const OpenAccountBody = T.Object({ name: T.String({ minLength: 1, maxLength: 100 }) }, Strict);
const DepositBody = T.Object(
  {
    amount: PositiveAmount,
    method: PaymentMethod,
    card: T.Optional(
      T.Object(
        { number: T.String({ pattern: '^\\d{16}$', description: '16 digits; 4000000000000002 is always declined' }) },
        Strict,
      ),
    ),
  },
  { ...Strict, description: '`card` is required with method `card`, and refused with `bank_transfer`' },
);
const WithdrawalBody = T.Object({ amount: PositiveAmount }, Strict);
const PageQuerySchema = T.Object({ ...PageQuery }, Strict);

async function withCash(call: Call, account: OwnAccount): Promise<Static<typeof Account>> {
  const balances = await call(transactionsContract, 'getBalances', { accountId: account.id });
  return {
    id: account.id,
    name: account.name,
    currency: account.currency,
    status: account.status,
    cash: balances.cash,
    createdAt: account.createdAt,
  };
}

export async function accountRoutes(instance: FastifyInstance, deps: Deps): Promise<void> {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  const { ctx } = deps;
  const tags = ['accounts'];

  app.post(
    '/accounts',
    {
      ...deps.authed,
      schema: {
        tags,
        summary: 'Open an account',
        security: bearer,
        body: OpenAccountBody,
        response: { 201: Account, ...problems(401) },
      },
    },
    async (request, reply) => {
      const account = await callFor(ctx, request)(accountsContract, 'openAccount', request.body);
      reply.code(201).header('Location', `/v1/accounts/${encodeURIComponent(account.id)}`);
      // A new account holds nothing yet (its ledger books may not even exist).
      return {
        id: account.id,
        name: account.name,
        currency: account.currency,
        status: account.status,
        cash: { available: '0.00', reserved: '0.00' },
        createdAt: account.createdAt,
      };
    },
  );

  app.get(
    '/accounts',
    {
      ...deps.authed,
      schema: {
        tags,
        summary: 'Your accounts, newest first',
        security: bearer,
        querystring: PageQuerySchema,
        response: { 200: Page(Account), ...problems(401) },
      },
    },
    async (request) => {
      const call = callFor(ctx, request);
      const page = await call(accountsContract, 'listAccounts', pageOf(request.query));
      return { items: await Promise.all(page.items.map((a) => withCash(call, a))), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/accounts/:accountId',
    {
      ...deps.ownAccount,
      schema: {
        tags,
        summary: 'An account with its cash',
        security: bearer,
        params: AccountParams,
        response: { 200: Account, ...problems(401, 404) },
      },
    },
    async (request) => withCash(callFor(ctx, request), accountOf(request)),
  );

  app.post(
    '/accounts/:accountId/deposits',
    {
      ...deps.ownAccount,
      schema: {
        tags: ['payments'],
        summary: 'Deposit money (asynchronous)',
        security: bearer,
        params: AccountParams,
        headers: IdempotencyHeaders,
        body: DepositBody,
        response: { 202: Payment, ...problems(401, 404, 409) },
      },
    },
    async (request, reply) => {
      const { amount, method, card } = request.body;
      if (method === 'card' && !card)
        throw new HttpProblem(400, 'validation_failed', 'A card deposit needs the card', {}, [
          { path: 'body/card', message: 'Required with method card' },
        ]);
      if (method !== 'card' && card)
        throw new HttpProblem(400, 'validation_failed', 'Only a card deposit takes a card', {}, [
          { path: 'body/card', message: 'Only with method card' },
        ]);
      const idempotencyKey = idempotencyKeyFor(request, who(request).customerId);
      const call = callFor(ctx, request);
      const { accountId } = request.params;
      const payment = await call(
        paymentsContract,
        'requestDeposit',
        { accountId, amount, method, ...(card ? { card } : {}) },
        { idempotencyKey },
      );
      reply.code(202).header('Location', `/v1/payments/${encodeURIComponent(payment.id)}`);
      return payment;
    },
  );

  app.post(
    '/accounts/:accountId/withdrawals',
    {
      ...deps.ownAccount,
      schema: {
        tags: ['payments'],
        summary: 'Withdraw money (asynchronous)',
        security: bearer,
        params: AccountParams,
        headers: IdempotencyHeaders,
        body: WithdrawalBody,
        response: { 202: Payment, ...problems(401, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const idempotencyKey = idempotencyKeyFor(request, who(request).customerId);
      const call = callFor(ctx, request);
      const { accountId } = request.params;
      const payment = await call(
        paymentsContract,
        'requestWithdrawal',
        { accountId, amount: request.body.amount },
        { idempotencyKey },
      );
      reply.code(202).header('Location', `/v1/payments/${encodeURIComponent(payment.id)}`);
      return payment;
    },
  );

  app.get(
    '/payments/:paymentId',
    {
      ...deps.authed,
      schema: {
        tags: ['payments'],
        summary: 'A payment',
        security: bearer,
        params: PaymentParams,
        response: { 200: Payment, ...problems(401, 404) },
      },
    },
    async (request) => callFor(ctx, request)(paymentsContract, 'getPayment', { paymentId: request.params.paymentId }),
  );

  app.get(
    '/accounts/:accountId/transactions',
    {
      ...deps.ownAccount,
      schema: {
        tags,
        summary: "The account's ledger entries, newest first",
        security: bearer,
        params: AccountParams,
        querystring: PageQuerySchema,
        response: { 200: Page(LedgerEntry), ...problems(401, 404) },
      },
    },
    async (request) => {
      const call = callFor(ctx, request);
      const { accountId } = request.params;
      return call(transactionsContract, 'listEntries', { accountId, ...pageOf(request.query) });
    },
  );

  app.get(
    '/accounts/:accountId/holdings',
    {
      ...deps.ownAccount,
      schema: {
        tags,
        summary: "The account's cash and positions, valued",
        security: bearer,
        params: AccountParams,
        response: { 200: Holdings, ...problems(401, 404) },
      },
    },
    async (request) => {
      const call = callFor(ctx, request);
      const { accountId } = request.params;
      return call(holdingsContract, 'getHoldings', { accountId });
    },
  );
}
