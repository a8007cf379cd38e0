/** strategy-orders: investing an amount in a strategy — one payment, then one buy per allocation (listings 4.3, 4.4). */
import {
  NotFoundError,
  defineService,
  on,
  seqCursor,
  type MessageContext,
  type RpcContext,
  type Static,
} from '@simplebank/chassis';
import { ordersContract } from '@simplebank/orders/contract';
import { paymentsContract } from '@simplebank/payments/contract';
import { strategiesContract } from '@simplebank/strategies/contract';
import { strategyOrdersContract } from './contract.ts';
import { invest } from './invest.ts';
import { toInvestment } from './investments.ts';
import { investSaga, type InvestSignals } from './saga.ts';
import { strategyOrdersSettings } from './settings.ts';
import * as store from './store.ts';

const DEFAULT_PAGE_SIZE = 50;

/** Pages of investments, newest first. */
const cursor = seqCursor();

/** A customer sees their own investments; an admin (and a service) every one. */
function visibleTo(ctx: RpcContext, row: store.InvestmentRow | undefined): row is store.InvestmentRow {
  if (!row || !ctx.identity) return false;
  return ctx.identity.role !== 'customer' || row.customerId === ctx.identity.customerId;
}

/**
 * News of a payment wakes the saga of the investment it pays for, once (the first outcome counts).
 * Most payments are plain deposits: those concern no investment and change nothing.
 */
async function paymentNews<K extends 'paymentCompleted' | 'paymentFailed'>(
  ctx: MessageContext,
  paymentId: string,
  signal: K,
  payload: Static<InvestSignals[K]>,
): Promise<void> {
  const investmentId = await store.investmentOfPayment(ctx.tx, paymentId);
  if (investmentId) await ctx.sagas.signal(ctx.tx, investSaga, investmentId, signal, payload, { dedupKey: 'payment' });
}

export const strategyOrdersService = defineService({
  contract: strategyOrdersContract,
  migrations: new URL('../migrations', import.meta.url),
  settings: [strategyOrdersSettings],
  sagas: [investSaga],
  rpc: {
    invest,

    async getInvestment(req, ctx) {
      const row = await store.getInvestment(ctx.db, req.investmentId);
      if (!visibleTo(ctx, row)) throw new NotFoundError(`Investment ${req.investmentId} not found`);
      return toInvestment(row);
    },

    async listInvestments(req, ctx) {
      if (!ctx.identity) return { items: [], nextCursor: null };
      const limit = req.limit ?? DEFAULT_PAGE_SIZE;
      const rows = await store.listInvestments(ctx.db, {
        ...(ctx.identity.role === 'customer' ? { customerId: ctx.identity.customerId } : {}),
        ...(req.cursor !== undefined ? { beforeSeq: cursor.decode(req.cursor) } : {}),
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      const nextCursor = rows.length > limit ? cursor.encode(page[page.length - 1]!.seq) : null;
      return { items: page.map(toInvestment), nextCursor };
    },
  },
  handlers: [
    // A strategy never changes: the copy kept here spares a call to strategies per investment.
    on(strategiesContract.events.StrategyCreated, (data, ctx) =>
      store.saveKnownStrategy(ctx.tx, { id: data.strategyId, name: data.name, assets: data.assets }),
    ),
    on(
      paymentsContract.events.PaymentCompleted,
      (data, ctx) => paymentNews(ctx, data.paymentId, 'paymentCompleted', {}),
      { when: (d) => d.kind === 'deposit' },
    ),
    on(
      paymentsContract.events.PaymentFailed,
      (data, ctx) => paymentNews(ctx, data.paymentId, 'paymentFailed', { reason: data.reason }),
      { when: (d) => d.kind === 'deposit' },
    ),
    // Only the investments' own orders, and only news past `pending` (placeOrder's answer said that).
    on(
      ordersContract.events.OrderStatusChanged,
      async (data, ctx) => {
        const news = { orderId: data.orderId, status: data.status, fillPrice: data.fillPrice, fee: data.fee };
        await ctx.sagas.signal(ctx.tx, investSaga, data.investmentId!, 'orderChanged', news, {
          dedupKey: `${data.orderId}:${data.status}`,
        });
      },
      { when: (d) => d.source === 'strategy' && d.investmentId !== undefined && d.status !== 'pending' },
    ),
  ],
});
