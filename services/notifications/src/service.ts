/**
 * notifications: each customer's in-app inbox, written from other services' events — once per
 * event: the chassis inbox drops a redelivered event per consumer, and the unique source event id
 * on the notification drops a replay (e.g. from the dead-letter store) that gets past it.
 */
import { UnauthorizedError, NotFoundError, ValidationError, defineService, on, seqCursor, type MessageContext, type RpcContext } from '@simplebank/chassis';
import { customersContract } from '@simplebank/customers/contract';
import { ordersContract } from '@simplebank/orders/contract';
import { paymentsContract } from '@simplebank/payments/contract';
import { notificationsContract } from './contract.ts';
import { orderStatusChanged, paymentCompleted, paymentFailed, type Message } from './domain/messages.ts';
import * as store from './store.ts';

const DEFAULT_LIMIT = 50;

/** Writes the notification to the customer's inbox and records the delivery per channel. */
async function notify(ctx: MessageContext, customerId: string, message: Message): Promise<void> {
  const id = await store.insertNotification(ctx.tx, customerId, message, { id: ctx.envelope.id, type: ctx.envelope.type });
  if (id === null) {
    ctx.log.info({ eventId: ctx.envelope.id }, 'notification already written for this event');
    return;
  }
  await store.recordDelivery(ctx.tx, id, 'in_app', 'delivered');
  // Email and SMS adapters come in wave 2: an opted-in channel is recorded as skipped for now.
  const prefs = await store.getPreferences(ctx.tx, customerId);
  if (prefs?.email) await store.recordDelivery(ctx.tx, id, 'email', 'skipped', 'no email adapter yet (wave 2)');
  if (prefs?.sms) await store.recordDelivery(ctx.tx, id, 'sms', 'skipped', 'no sms adapter yet (wave 2)');
  ctx.log.info({ notificationId: id, kind: message.kind }, 'notification written');
}

function callerOf(ctx: RpcContext): string {
  const customerId = ctx.identity?.customerId;
  if (!customerId) throw new UnauthorizedError();
  return customerId;
}

const cursor = seqCursor('n:');

export const notificationsService = defineService({
  contract: notificationsContract,
  migrations: new URL('../migrations', import.meta.url),
  rpc: {
    async listNotifications(req, ctx) {
      const customerId = callerOf(ctx);
      const limit = req.limit ?? DEFAULT_LIMIT;
      const rows = await store.listNotifications(ctx.db, customerId, limit, req.cursor ? cursor.decode(req.cursor) : undefined);
      const page = rows.slice(0, limit);
      return {
        items: page.map((r) => ({ id: r.id, kind: r.kind, title: r.title, body: r.body, at: r.at.toISOString(), read: r.read })),
        nextCursor: rows.length > limit ? cursor.encode(page[page.length - 1]!.seq) : null,
      };
    },
    async markRead(req, ctx) {
      const customerId = callerOf(ctx);
      if (!(await store.markRead(ctx.db, customerId, req.notificationId))) throw new NotFoundError('Notification not found');
      return {};
    },
  },
  handlers: [
    on(paymentsContract.events.PaymentCompleted, async (data, ctx) => {
      await notify(ctx, data.customerId, paymentCompleted(data));
    }),
    on(paymentsContract.events.PaymentFailed, async (data, ctx) => {
      await notify(ctx, data.customerId, paymentFailed(data));
    }),
    on(
      ordersContract.events.OrderStatusChanged,
      async (data, ctx) => {
        const message = orderStatusChanged(data);
        if (message) await notify(ctx, data.customerId, message);
      },
      // Pending and placed tell the customer nothing: not even an inbox row for them.
      { when: (data) => orderStatusChanged(data) !== null },
    ),
    on(customersContract.events.CustomerRegistered, async (data, ctx) => {
      await store.savePreferences(ctx.tx, data.customerId, data.preferences);
    }),
    on(customersContract.events.CustomerUpdated, async (data, ctx) => {
      await store.savePreferences(ctx.tx, data.customerId, data.preferences);
    }),
  ],
});
