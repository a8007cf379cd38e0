/** The commands market accepts from orders: place an order on the exchange, and cancel it. */
import { on, type MessageContext } from '@simplebank/chassis';
import { parseMoney, parseQuantity } from '@simplebank/money';
import { marketContract } from './contract.ts';
import { insertCanceledJob, insertFailedJob, insertJob, lockJob, updateJob, type Origin } from './store.ts';
import { wakeWorker } from './wake.ts';

function originOf(ctx: MessageContext): Origin {
  // The handler's traceparent (its consumer span): the job's exchange calls continue the order's trace.
  return {
    correlationId: ctx.envelope.correlationId,
    causationId: ctx.envelope.id,
    ...(ctx.identity ? { identity: ctx.identity } : {}),
    ...(ctx.cause.traceparent ? { traceparent: ctx.cause.traceparent } : {}),
  };
}

export const placeOrderOnExchange = on(marketContract.commands.PlaceOrderOnExchange, async (data, ctx) => {
  const quantity = parseQuantity(data.quantity);
  const limit = parseMoney(data.limitPrice);
  const origin = originOf(ctx);
  if (quantity <= 0n || limit <= 0n) {
    // No exchange takes a zero quantity or price: refused here, once (a repeat finds the failed job).
    if (await insertFailedJob(ctx.tx, data.orderId, 'exchange_rejected', origin)) {
      await ctx.tx.publish(
        marketContract.events.OrderPlacementFailed,
        { orderId: data.orderId, reason: 'exchange_rejected', at: new Date().toISOString() },
        { key: data.orderId },
      );
    }
    return;
  }
  const created = await insertJob(
    ctx.tx,
    { orderId: data.orderId, assetId: data.assetId, side: data.side, quantity, limit, placeBy: new Date(data.placeBy) },
    origin,
  );
  if (created) ctx.tx.afterCommit(wakeWorker);
  else ctx.log.info({ orderId: data.orderId }, 'placement job exists already; repeated command ignored');
});

export const cancelOrderOnExchange = on(marketContract.commands.CancelOrderOnExchange, async (data, ctx) => {
  // The row lock orders this against a turn's claim and record; a turn's call to the exchange holds no lock.
  const job = await lockJob(ctx.tx, data.orderId);
  const at = new Date().toISOString();
  if (!job) {
    await insertCanceledJob(ctx.tx, data.orderId, data.reason, originOf(ctx));
    await ctx.tx.publish(
      marketContract.events.OrderCanceledOnExchange,
      { orderId: data.orderId, reason: data.reason, at },
      { key: data.orderId },
    );
    return;
  }
  if (job.status === 'pending' && job.in_turn) {
    // A placement is in flight: whether it reached the exchange is not known yet. The reason is
    // kept; the turn's record makes the job due again, and the next turn cancels the order on the
    // exchange if it was placed, or drops it if not (jobs.ts).
    if (!job.cancel_reason) await updateJob(ctx.tx, job.order_id, { cancelReason: data.reason });
    return;
  }
  if (job.status === 'pending') {
    // Not placed yet: never place it.
    await updateJob(ctx.tx, job.order_id, { status: 'canceled', cancelReason: data.reason });
    await ctx.tx.publish(
      marketContract.events.OrderCanceledOnExchange,
      { orderId: data.orderId, reason: data.reason, at },
      { key: data.orderId },
    );
    return;
  }
  if (job.status === 'placed' && !job.cancel_reason) {
    await updateJob(ctx.tx, job.order_id, { cancelReason: data.reason, nextAttemptAt: new Date() });
    ctx.tx.afterCommit(wakeWorker);
  }
  // filled, canceled, failed, or a cancel already under way: nothing more to do.
});
