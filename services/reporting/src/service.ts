/**
 * reporting: CQRS read models built from events only (decision 25) — orders (orders'
 * OrderStatusChanged), fees (fees' FeeCharged/FeeRefunded) and the ledger's postings on customer
 * accounts (transactions' LedgerPosted). It answers from its own database and never calls another
 * service; every answer carries `asOf`, the time of the newest event applied (the gateway's
 * X-Data-As-Of). Every consumed event is kept, so the projections can be rebuilt from scratch.
 */
import {
  ForbiddenError,
  UnauthorizedError,
  ValidationError,
  defineService,
  keyCursor,
  on,
  type MessageContext,
  type RpcContext,
} from '@simplebank/chassis';
import { feesContract } from '@simplebank/fees/contract';
import { formatMoney, formatQuantity } from '@simplebank/money';
import { ordersContract } from '@simplebank/orders/contract';
import { transactionsContract } from '@simplebank/transactions/contract';
import { reportingContract } from './contract.ts';
import { feeReport } from './domain/fees.ts';
import { notionalOf } from './domain/orders.ts';
import { MAX_REPORT_DAYS, parsePeriod, type Period } from './domain/period.ts';
import { statementOf } from './domain/statement.ts';
import { consume, rebuild } from './projections.ts';
import * as store from './store.ts';

const DEFAULT_PAGE_SIZE = 50;

/**
 * The projections only write to reporting's database: events that arrive together share a commit
 * (up to 64: a read model behind after a burst catches up in fewer, larger commits), and a quiet
 * consumer waits a tenth of a second for company (its readers see `X-Data-As-Of`).
 */
const BATCHED = { batch: true, prefetch: 64, lingerMs: 100 } as const;

/** Pages of the orders report: the last row's (placedAt, orderId). */
const cursor = keyCursor();
function decodeCursor(text: string): { placedAt: Date; orderId: string } {
  const key = cursor.decode(text);
  const bar = key.indexOf('|');
  const placedAt = new Date(key.slice(0, bar));
  if (bar < 0 || Number.isNaN(placedAt.getTime()) || bar === key.length - 1)
    throw new ValidationError('Invalid cursor', [{ path: '/cursor', message: 'not a cursor of this list' }]);
  return { placedAt, orderId: key.slice(bar + 1) };
}

function periodOf(q: { from?: string | undefined; to?: string | undefined }, maxDays?: number): Period {
  const parsed = parsePeriod(q, new Date(), maxDays);
  if ('problems' in parsed) throw new ValidationError('The period is not valid', parsed.problems);
  return parsed.period;
}

function requireAdmin(ctx: RpcContext, what: string): void {
  const role = ctx.identity?.role;
  if (!role) throw new UnauthorizedError();
  if (role !== 'admin' && role !== 'system') throw new ForbiddenError(`Only an admin can ${what}`);
}

const asOfOf = async (ctx: RpcContext) => (await store.asOf(ctx.db))?.toISOString() ?? null;

async function consumed(ctx: MessageContext, data: unknown): Promise<void> {
  if (!(await consume(ctx.tx, ctx.envelope, data))) ctx.log.info({ eventId: ctx.envelope.id }, 'event already applied');
}

export const reportingService = defineService({
  contract: reportingContract,
  migrations: new URL('../migrations', import.meta.url),
  rpc: {
    async listOrders(req, ctx) {
      const identity = ctx.identity;
      if (!identity) throw new UnauthorizedError();
      const period = periodOf(req);
      // A customer sees their own orders only; an admin anyone's, or one customer's.
      const customerId = identity.role === 'customer' ? identity.customerId : req.customerId;
      const limit = req.limit ?? DEFAULT_PAGE_SIZE;
      const asOf = await asOfOf(ctx);
      const rows = await store.listOrders(ctx.db, {
        customerId,
        accountId: req.accountId,
        status: req.status,
        from: period.from,
        to: period.to,
        before: req.cursor !== undefined ? decodeCursor(req.cursor) : undefined,
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        items: page.map((o) => ({
          orderId: o.orderId,
          accountId: o.accountId,
          customerId: o.customerId,
          assetId: o.assetId,
          assetName: o.assetName,
          assetType: o.assetType,
          side: o.side,
          quantity: formatQuantity(o.quantity),
          status: o.status,
          reason: o.reason,
          fee: formatMoney(o.fee),
          fillPrice: o.fillPrice === null ? null : formatMoney(o.fillPrice),
          notional: notionalOf(o),
          placedAt: o.placedAt.toISOString(),
          filledAt: o.filledAt?.toISOString() ?? null,
          source: o.source,
          ...(o.investmentId ? { investmentId: o.investmentId } : {}),
        })),
        nextCursor:
          rows.length > limit && last ? cursor.encode(`${last.placedAt.toISOString()}|${last.orderId}`) : null,
        asOf,
      };
    },

    async feeReport(req, ctx) {
      requireAdmin(ctx, 'read the fee report');
      const period = periodOf(req, MAX_REPORT_DAYS);
      const asOf = await asOfOf(ctx);
      const report = feeReport(await store.feeSums(ctx.db, period.from, period.to));
      return { from: period.from.toISOString(), to: period.to.toISOString(), ...report, asOf };
    },

    async getStatement(req, ctx) {
      if (!ctx.identity) throw new UnauthorizedError();
      const period = periodOf(req, MAX_REPORT_DAYS);
      const asOf = await asOfOf(ctx);
      const { opening, postings, orders } = await store.statementRows(ctx.db, req.accountId, period.from, period.to);
      const { lines, closing } = statementOf(opening, postings, orders);
      return {
        accountId: req.accountId,
        from: period.from.toISOString(),
        to: period.to.toISOString(),
        openingBalance: formatMoney(opening),
        closingBalance: formatMoney(closing),
        lines,
        asOf,
      };
    },

    async rebuildProjections(_req, ctx) {
      requireAdmin(ctx, 'rebuild the projections');
      const replayed = await ctx.transaction((tx) => rebuild(tx));
      const counts = await store.counts(ctx.db);
      ctx.log.info({ replayed, ...counts }, 'projections rebuilt from the event log');
      return { ...counts, asOf: await asOfOf(ctx) };
    },
  },
  handlers: [
    on(ordersContract.events.OrderStatusChanged, (data, ctx) => consumed(ctx, data), BATCHED),
    on(feesContract.events.FeeCharged, (data, ctx) => consumed(ctx, data), BATCHED),
    on(feesContract.events.FeeRefunded, (data, ctx) => consumed(ctx, data), BATCHED),
    on(transactionsContract.events.LedgerPosted, (data, ctx) => consumed(ctx, data), BATCHED),
  ],
});
