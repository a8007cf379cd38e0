/** orders: customers' orders, their status history, and the place-order saga that orchestrates them. */
import {
  NotFoundError,
  defineService,
  on,
  seqCursor,
  type MessageContext,
  type SignalName,
  type Static,
} from '@simplebank/chassis';
import { marketContract } from '@simplebank/market/contract';
import { cancelOrder, visibleTo } from './cancel-order.ts';
import { ordersContract } from './contract.ts';
import { ordersMetrics } from './metrics.ts';
import { toOrder } from './orders.ts';
import { placeOrder } from './place-order.ts';
import { placeOrderSaga, type PlaceOrderSignals } from './place-order-saga.ts';
import { ordersSettings } from './settings.ts';
import * as store from './store.ts';

/** The market's news of an order wakes its saga; a repeat of the same news is ignored. */
async function signalSaga<K extends SignalName<PlaceOrderSignals>>(
  ctx: MessageContext,
  orderId: string,
  name: K,
  payload: Static<PlaceOrderSignals[K]>,
): Promise<void> {
  const known = await ctx.sagas.signal(ctx.tx, placeOrderSaga, orderId, name, payload, { dedupKey: name });
  if (!known) ctx.log.warn({ orderId, signal: name }, 'market reported on an order without a saga here; ignored');
}

/** A signal is a row in orders' database: news that arrives together shares a commit. */
const BATCHED = { batch: true } as const;

/** Pages of a customer's orders, newest first. */
const cursor = seqCursor();

export const ordersService = defineService({
  contract: ordersContract,
  migrations: new URL('../migrations', import.meta.url),
  settings: [ordersSettings],
  sagas: [placeOrderSaga],
  workers: [ordersMetrics],
  rpc: {
    placeOrder,

    async getOrder(req, ctx) {
      const row = await store.getOrder(ctx.db, req.orderId);
      if (!visibleTo(ctx, row)) throw new NotFoundError(`Order ${req.orderId} not found`);
      return toOrder(row);
    },

    async listOrdersOf(req, ctx) {
      const limit = req.limit ?? 50;
      if (!ctx.identity)
        return { items: req.accountIds.map((accountId) => ({ accountId, items: [], nextCursor: null })) };
      const customerId = ctx.identity.role === 'customer' ? ctx.identity.customerId : undefined;
      const accountIds = [...new Set(req.accountIds)];
      const rows = await store.listOrdersOf(ctx.db, {
        accountIds,
        ...(customerId !== undefined ? { customerId } : {}),
        ...(req.status !== undefined ? { status: req.status } : {}),
        limit: limit + 1,
      });
      const byAccount = new Map<string, typeof rows>(accountIds.map((id) => [id, []]));
      for (const r of rows) byAccount.get(r.page_account)!.push(r);
      return {
        items: req.accountIds.map((accountId) => {
          const found = byAccount.get(accountId)!;
          const page = found.slice(0, limit);
          return {
            accountId,
            items: page.map(toOrder),
            nextCursor: found.length > limit ? cursor.encode(page[page.length - 1]!.seq) : null,
          };
        }),
      };
    },

    async listOrders(req, ctx) {
      const limit = req.limit ?? 50;
      const customerId = ctx.identity?.role === 'customer' ? ctx.identity.customerId : undefined;
      if (!ctx.identity) return { items: [], nextCursor: null };
      const rows = await store.listOrders(ctx.db, {
        ...(customerId !== undefined ? { customerId } : {}),
        ...(req.accountId !== undefined ? { accountId: req.accountId } : {}),
        ...(req.status !== undefined ? { status: req.status } : {}),
        ...(req.cursor !== undefined ? { beforeSeq: cursor.decode(req.cursor) } : {}),
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      const nextCursor = rows.length > limit ? cursor.encode(page[page.length - 1]!.seq) : null;
      return { items: page.map(toOrder), nextCursor };
    },

    async cancelOrder(req, ctx) {
      return cancelOrder(req.orderId, ctx);
    },
  },
  handlers: [
    on(
      marketContract.events.OrderPlacedOnExchange,
      (data, ctx) => signalSaga(ctx, data.orderId, 'placed', data),
      BATCHED,
    ),
    on(
      marketContract.events.OrderPlacementFailed,
      (data, ctx) => signalSaga(ctx, data.orderId, 'placementFailed', data),
      BATCHED,
    ),
    on(
      marketContract.events.OrderFilledOnExchange,
      (data, ctx) => signalSaga(ctx, data.orderId, 'filled', data),
      BATCHED,
    ),
    on(
      marketContract.events.OrderCanceledOnExchange,
      (data, ctx) => signalSaga(ctx, data.orderId, 'canceled', data),
      BATCHED,
    ),
  ],
});
