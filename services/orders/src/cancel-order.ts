/**
 * Cancel (interwoven sagas): before the placement went out, the saga is interrupted and compensates;
 * after, market is asked to cancel on the exchange and the saga ends on its answer (canceled or filled).
 */
import { ConflictError, ForbiddenError, NotFoundError, type RpcContext } from '@simplebank/chassis';
import { marketContract } from '@simplebank/market/contract';
import { isCancelable } from './domain/order.ts';
import { toOrder } from './orders.ts';
import * as store from './store.ts';

export function visibleTo(ctx: RpcContext, row: store.OrderRow | undefined): row is store.OrderRow {
  if (!row) return false;
  return ctx.identity?.role === 'customer' ? row.customer_id === ctx.identity.customerId : ctx.identity !== undefined;
}

const notCancelable = () => new ConflictError('order_not_cancelable', 'The order is filled or has already ended');

export async function cancelOrder(orderId: string, ctx: RpcContext) {
  // Like placing one: an admin sees every order but cancels none (the customer's decision).
  if (ctx.identity?.role !== 'customer')
    throw new ForbiddenError('Orders are canceled by the customer who placed them');
  return ctx.transaction(async (tx) => {
    const before = await store.getOrder(tx, orderId);
    if (!visibleTo(ctx, before)) throw new NotFoundError(`Order ${orderId} not found`);
    if (!isCancelable(before.status, before.fill_price_cents !== null)) throw notCancelable();

    await tx.query('SAVEPOINT cancel_order');
    // A requested interrupt holds the saga's row until we commit: no step of it runs meanwhile, so
    // what the order row says now (read after it) is where the saga stands.
    const interrupted = await ctx.sagas.interrupt(tx, orderId, {
      code: 'canceled_by_customer',
      message: 'Canceled by the customer',
    });
    const now = (await store.getOrder(tx, orderId))!;
    if (interrupted && now.placement_sent_at === null) {
      await tx.query('RELEASE SAVEPOINT cancel_order');
      ctx.log.info({ orderId }, 'order canceled before placement: saga interrupted');
      return toOrder(now);
    }
    await tx.query('ROLLBACK TO SAVEPOINT cancel_order');
    if (!isCancelable(now.status, now.fill_price_cents !== null)) throw notCancelable();
    await tx.send(
      marketContract.commands.CancelOrderOnExchange,
      { orderId, reason: 'canceled_by_customer' },
      { key: orderId },
    );
    ctx.log.info({ orderId }, 'order cancel asked of market');
    return toOrder(now);
  });
}
