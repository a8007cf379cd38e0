/** fees: the versioned fee schedule, and every fee charged or refunded per order (through the ledger). */
import { createHash } from 'node:crypto';
import { AppError, ForbiddenError, ValidationError, defineService, type RpcContext } from '@simplebank/chassis';
import { formatMoney, formatRate, parseMoney, parseRate } from '@simplebank/money';
import { transactionsContract } from '@simplebank/transactions/contract';
import { feesContract } from './contract.ts';
import { feeFor, validRate } from './domain/fee.ts';
import * as store from './store.ts';

const toSchedule = (row: store.ScheduleRow) => ({
  minimum: formatMoney(BigInt(row.minimum_cents)),
  rate: row.rate,
  effectiveFrom: row.effective_from.toISOString(),
  version: row.version,
});

/** The fee of an order has one id, whoever asks: a retried charge sends the ledger the very same request. */
export function feeIdOf(orderId: string): string {
  const h = createHash('sha256').update(`fee:${orderId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

/** Business metrics: cents charged and refunded (counted once the transaction commits). */
function feeCounters(ctx: RpcContext) {
  return {
    charged: ctx.metrics.counter('simplebank_fees_charged_cents_total', 'Fees charged, in cents', ['service']),
    refunded: ctx.metrics.counter('simplebank_fees_refunded_cents_total', 'Fees refunded, in cents', ['service']),
  };
}

function requireKey(ctx: RpcContext): string {
  return ctx.idempotencyKey!; // the chassis refuses idempotent calls without one
}

export const feesService = defineService({
  contract: feesContract,
  migrations: new URL('../migrations', import.meta.url),
  rpc: {
    async getSchedule(_req, ctx) {
      return toSchedule(await store.currentSchedule(ctx.db));
    },

    async setSchedule(req, ctx) {
      const role = ctx.identity?.role;
      if (role !== 'admin' && role !== 'system') throw new ForbiddenError('Only an admin can change the fee schedule');
      if (!validRate(req.rate))
        throw new ValidationError('The rate must be below 1', [{ path: '/rate', message: 'must be less than 1' }]);
      const rate = formatRate(parseRate(req.rate));
      return ctx.transaction(async (tx) => {
        const row = await store.insertSchedule(tx, parseMoney(req.minimum), rate);
        tx.afterCommit(() => store.forgetSchedule(ctx.db));
        ctx.log.info({ version: row.version, minimum: req.minimum, rate }, 'fee schedule changed');
        return toSchedule(row);
      });
    },

    async quoteFee(req, ctx) {
      const schedule = await store.currentSchedule(ctx.db);
      const fee = feeFor({ minimum: BigInt(schedule.minimum_cents), rate: schedule.rate }, req.quantity, req.price);
      return { fee: formatMoney(fee), scheduleVersion: schedule.version };
    },

    async chargeFee(req, ctx) {
      const key = requireKey(ctx);
      const feeId = feeIdOf(req.orderId);
      // One fee per order, and no read to find out first: a second charge (under another key) gets
      // the ledger's first posting back and finds the fee recorded below, so it answers the first
      // charge and charges nothing.
      // The ledger first, with no transaction open here: it posts `fee:<feeId>` once, whoever asks
      // and however often. insufficient_funds propagates: nothing is recorded, and the chassis keeps
      // the refusal as this key's answer. A crash after the ledger's commit and before ours is
      // mended by the retry (the same posting comes back) or by refundFee (refundUnrecordedCharge).
      await ctx.call(
        transactionsContract,
        'chargeFee',
        { accountId: req.accountId, amount: req.amount, orderId: req.orderId, feeId },
        { idempotencyKey: `${key}:charge` },
      );
      return ctx.transaction(async (tx) => {
        const { row, inserted } = await store.insertFee(tx, {
          id: feeId,
          orderId: req.orderId,
          accountId: req.accountId,
          amountCents: parseMoney(req.amount),
        });
        // A concurrent charge of the same order recorded it first; the ledger (keyed by the fee id,
        // derived from the order) charged nothing more either.
        if (!inserted) return { feeId: row.id, amount: formatMoney(BigInt(row.amount_cents)) };
        await tx.publish(
          feesContract.events.FeeCharged,
          {
            feeId,
            orderId: req.orderId,
            accountId: req.accountId,
            amount: req.amount,
            at: row.charged_at.toISOString(),
          },
          { key: req.orderId },
        );
        const cents = Number(parseMoney(req.amount));
        tx.afterCommit(() => feeCounters(ctx).charged.inc({ service: ctx.service }, cents));
        return { feeId, amount: req.amount };
      });
    },

    async refundFee(req, ctx) {
      const fee = await store.feeOfOrder(ctx.db, req.orderId);
      if (!fee) return refundUnrecordedCharge(req, ctx);
      if (fee.refunded_at) return { refunded: false, amount: '0.00' };
      const amount = formatMoney(BigInt(fee.amount_cents));
      // Keyed by the fee, not the caller: whoever asks, the ledger refunds this fee once. Called
      // with no transaction open; the refund is then recorded (and published) once.
      await ctx.call(
        transactionsContract,
        'refundFee',
        { accountId: fee.account_id, amount, orderId: fee.order_id, feeId: fee.id },
        { idempotencyKey: `fees:refund:${fee.id}` },
      );
      return ctx.transaction(async (tx) => {
        const at = await store.markRefunded(tx, fee.id);
        if (!at) return { refunded: false, amount: '0.00' }; // refunded meanwhile by a concurrent call
        await tx.publish(
          feesContract.events.FeeRefunded,
          { feeId: fee.id, orderId: fee.order_id, accountId: fee.account_id, amount, at: at.toISOString() },
          { key: fee.order_id },
        );
        const cents = Number(fee.amount_cents);
        tx.afterCommit(() => feeCounters(ctx).refunded.inc({ service: ctx.service }, cents));
        return { refunded: true, amount };
      });
    },
  },
});

/**
 * No fee record, yet the ledger may hold the charge: chargeFee's call to the ledger can commit there
 * while its answer is lost and our record rolls back. The ledger refunds only a fee it charged under
 * this fee id (not_found otherwise), so asking it is safe.
 */
async function refundUnrecordedCharge(
  req: { orderId: string; accountId?: string; amount?: string },
  ctx: RpcContext,
): Promise<{ refunded: boolean; amount: string }> {
  if (!req.accountId || !req.amount) return { refunded: false, amount: '0.00' };
  const feeId = feeIdOf(req.orderId);
  try {
    await ctx.call(
      transactionsContract,
      'refundFee',
      { accountId: req.accountId, amount: req.amount, orderId: req.orderId, feeId },
      { idempotencyKey: `fees:refund:${feeId}` },
    );
  } catch (err) {
    if (err instanceof AppError && err.code === 'not_found') return { refunded: false, amount: '0.00' };
    throw err;
  }
  ctx.log.warn(
    { orderId: req.orderId, feeId },
    'refunded a fee the ledger had charged without a fee record (its answer was lost)',
  );
  return { refunded: true, amount: req.amount };
}
