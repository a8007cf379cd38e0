/**
 * transactions: the double-entry ledger. Books per account and asset (`available`, `reserved`),
 * system books `external`, `house:fees`, `exchange`; every posting balances per asset, is made at
 * most once per key, and is published as `LedgerPosted` for the account it touches.
 *
 * Callers: the gateway and `accounts` check that an account is the customer's before asking about it;
 * the ledger itself knows accounts only by id (their books are created on first use).
 */
import { ValidationError, defineService, on, seqCursor } from '@simplebank/chassis';
import { formatMoney, formatQuantity, parseMoney, parseQuantity } from '@simplebank/money';
import { paymentsContract } from '@simplebank/payments/contract';
import { transactionsContract } from './contract.ts';
import { CASH, type AccountBalances } from './domain/ledger.ts';
import * as ledger from './ledger.ts';
import * as store from './store.ts';

const cursor = seqCursor('e:');

function requireKey(key: string | undefined): string {
  if (!key) throw new ValidationError('An idempotency key is required');
  return key;
}

/** An account's balances as the contract says them: cash, and the positions not at zero. */
function balancesAnswer(accountId: string, balances: AccountBalances) {
  const cash = balances.get(CASH) ?? { available: 0n, reserved: 0n };
  const positions = [...balances]
    .filter(([asset, b]) => asset !== CASH && (b.available !== 0n || b.reserved !== 0n))
    .map(([assetId, b]) => ({ assetId, available: formatQuantity(b.available), reserved: formatQuantity(b.reserved) }));
  return {
    accountId,
    cash: { available: formatMoney(cash.available), reserved: formatMoney(cash.reserved) },
    positions,
  };
}

export const transactionsService = defineService({
  contract: transactionsContract,
  migrations: new URL('../migrations', import.meta.url),
  rpc: {
    async getBalances(req, ctx) {
      return balancesAnswer(req.accountId, await store.loadBalances(ctx.db, req.accountId));
    },

    async getBalancesOf(req, ctx) {
      const byAccount = await store.loadBalancesOf(ctx.db, req.accountIds);
      return {
        items: req.accountIds.map((accountId) => balancesAnswer(accountId, byAccount.get(accountId) ?? new Map())),
      };
    },

    async listEntries(req, ctx) {
      const limit = req.limit ?? 50;
      const rows = await store.listEntries(
        ctx.db,
        req.accountId,
        limit + 1,
        req.cursor ? cursor.decode(req.cursor) : undefined,
      );
      const page = rows.slice(0, limit);
      return {
        items: page.map((r) => {
          const amount = BigInt(r.amount);
          return {
            id: r.id,
            at: r.at.toISOString(),
            kind: r.kind,
            asset: r.asset,
            ...(r.asset === CASH ? { amount: formatMoney(amount) } : { quantity: formatQuantity(amount) }),
            book: r.book,
            ...(r.order_id ? { orderId: r.order_id } : {}),
            ...(r.payment_id ? { paymentId: r.payment_id } : {}),
          };
        }),
        nextCursor: rows.length > limit ? cursor.encode(page[page.length - 1]!.seq) : null,
      };
    },

    async postPayment(req, ctx) {
      return ctx.transaction(async (tx) => ({
        postingId:
          req.kind === 'deposit'
            ? await ledger.deposit(tx, { accountId: req.accountId, paymentId: req.paymentId, amount: req.amount })
            : await ledger.consumeWithdrawal(tx, {
                accountId: req.accountId,
                paymentId: req.paymentId,
                amount: req.amount,
                reservationId: req.reservationId,
              }),
      }));
    },

    async reserveCash(req, ctx) {
      const key = requireKey(ctx.idempotencyKey);
      return ctx.transaction(async (tx) => ({
        reservationId: await ledger.reserve(tx, {
          key,
          accountId: req.accountId,
          asset: CASH,
          amount: parseMoney(req.amount),
          orderId: req.orderId,
          paymentId: req.paymentId,
        }),
      }));
    },

    async reservePosition(req, ctx) {
      const key = requireKey(ctx.idempotencyKey);
      if (req.assetId === CASH || req.assetId.trim() === '')
        throw new ValidationError('A position is of an asset, not of cash', [
          { path: '/assetId', message: 'not an asset' },
        ]);
      return ctx.transaction(async (tx) => ({
        reservationId: await ledger.reserve(tx, {
          key,
          accountId: req.accountId,
          asset: req.assetId,
          amount: parseQuantity(req.quantity),
          orderId: req.orderId,
        }),
      }));
    },

    async releaseReservation(req, ctx) {
      return ctx.transaction(async (tx) => ({ released: await ledger.release(tx, req.reservationId) }));
    },

    async chargeFee(req, ctx) {
      return ctx.transaction(async (tx) => ({ postingId: await ledger.chargeFee(tx, req) }));
    },

    async refundFee(req, ctx) {
      return ctx.transaction(async (tx) => ({ postingId: await ledger.refundFee(tx, req) }));
    },

    async settleTrade(req, ctx) {
      return ctx.transaction((tx) => ledger.settleTrade(tx, req));
    },

    async trialBalance(_req, ctx) {
      const totals = await store.trialBalance(ctx.db);
      return {
        balanced: totals.every((t) => t.total === 0n),
        assets: totals.map((t) => ({ asset: t.asset, total: ledger.formatAmount(t.asset, t.total) })),
      };
    },
  },
  handlers: [
    // payments posts a payment through postPayment before it completes it (decision 14), so this
    // finds the posting made and adds nothing (same key). It stays for a PaymentCompleted of a
    // payments instance older than that, during a rolling deploy.
    on(paymentsContract.events.PaymentCompleted, async (data, ctx) => {
      if (data.kind === 'deposit') {
        await ledger.deposit(ctx.tx, { accountId: data.accountId, paymentId: data.paymentId, amount: data.amount });
      } else {
        await ledger.consumeWithdrawal(ctx.tx, {
          accountId: data.accountId,
          paymentId: data.paymentId,
          amount: data.amount,
          reservationId: data.reservationId,
        });
      }
    }),
    on(paymentsContract.events.PaymentFailed, async (data, ctx) => {
      if (data.kind !== 'withdrawal') return;
      const reservation = data.reservationId
        ? await store.getReservation(ctx.tx, data.reservationId)
        : await store.findReservationByPayment(ctx.tx, data.paymentId);
      if (!reservation) {
        ctx.log.warn({ paymentId: data.paymentId }, 'failed withdrawal without a reservation: nothing to release');
        return;
      }
      const released = await ledger.release(ctx.tx, reservation.id);
      ctx.log.info(
        { paymentId: data.paymentId, reservationId: reservation.id, released },
        'failed withdrawal: reservation released',
      );
    }),
  ],
});
