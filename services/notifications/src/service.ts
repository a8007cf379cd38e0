/**
 * notifications: each customer's in-app inbox, written from other services' events — once per
 * event: the chassis inbox drops a redelivered event per consumer, and the unique (source event,
 * customer) on the notification drops a replay (e.g. from the dead-letter store) that gets past it.
 *
 * Channels (decision 23): the in-app notification and its deliveries — in_app delivered, email and
 * SMS pending by the customer's preferences — commit in the consumer's transaction; the delivery
 * worker sends email and SMS after that commit, retrying with back-off, so a failing channel never
 * holds up or undoes the in-app notification, and one delivery per channel is the table's key.
 */
import {
  ForbiddenError,
  UnauthorizedError,
  NotFoundError,
  defineService,
  on,
  seqCursor,
  type MessageContext,
  type RpcContext,
} from '@simplebank/chassis';
import { customersContract } from '@simplebank/customers/contract';
import { ordersContract } from '@simplebank/orders/contract';
import { paymentsContract } from '@simplebank/payments/contract';
import { strategiesContract } from '@simplebank/strategies/contract';
import { recordAnnouncement } from './announcements.ts';
import { channelsFromSettings, type Channels } from './channels/index.ts';
import { notificationsContract } from './contract.ts';
import { listDeliveries, planDeliveries } from './delivery-store.ts';
import { deliveryWorker, wakeDeliveries } from './delivery-worker.ts';
import {
  orderStatusChanged,
  paymentCompleted,
  paymentFailed,
  settingsChanged,
  strategyCreated,
  type Message,
} from './domain/messages.ts';
import { notificationsSettings } from './settings.ts';
import * as store from './store.ts';

const DEFAULT_LIMIT = 50;

/** Writes the notification to the customer's inbox and plans its delivery per channel. */
/**
 * Every handler only writes notifications' own rows: events that arrive together share a commit,
 * and a quiet consumer waits a tenth of a second for company (a person reads them, not a saga).
 */
const BATCHED = { batch: true, lingerMs: 100 } as const;

async function notify(ctx: MessageContext, customerId: string, message: Message): Promise<void> {
  const id = await store.insertNotification(ctx.tx, customerId, message, {
    id: ctx.envelope.id,
    type: ctx.envelope.type,
  });
  if (id === null) {
    ctx.log.info({ eventId: ctx.envelope.id }, 'notification already written for this event');
    return;
  }
  const planned = await planDeliveries(ctx.tx, [id], [customerId]);
  if (planned.some((d) => d.status === 'pending')) ctx.tx.afterCommit(() => wakeDeliveries());
  ctx.log.info(
    { notificationId: id, kind: message.kind, channels: planned.map((d) => d.channel) },
    'notification written',
  );
}

function callerOf(ctx: RpcContext): string {
  const customerId = ctx.identity?.customerId;
  if (!customerId) throw new UnauthorizedError();
  return customerId;
}

const cursor = seqCursor('n:');
const deliveryCursor = seqCursor('d:');

/**
 * The service, with its channels made by `channels` when it starts (tests hand in their own), and
 * announcements written `pageSize` customers per transaction.
 */
export function createNotificationsService(options: { channels?: () => Channels; pageSize?: number } = {}) {
  return defineService({
    contract: notificationsContract,
    migrations: new URL('../migrations', import.meta.url),
    settings: [notificationsSettings],
    workers: [deliveryWorker(options.channels ?? channelsFromSettings, options.pageSize)],
    rpc: {
      async listNotifications(req, ctx) {
        const customerId = callerOf(ctx);
        const limit = req.limit ?? DEFAULT_LIMIT;
        const rows = await store.listNotifications(
          ctx.db,
          customerId,
          limit,
          req.cursor ? cursor.decode(req.cursor) : undefined,
        );
        const page = rows.slice(0, limit);
        return {
          items: page.map((r) => ({
            id: r.id,
            kind: r.kind,
            title: r.title,
            body: r.body,
            at: r.at.toISOString(),
            read: r.read,
          })),
          nextCursor: rows.length > limit ? cursor.encode(page[page.length - 1]!.seq) : null,
        };
      },
      async markRead(req, ctx) {
        const customerId = callerOf(ctx);
        if (!(await store.markRead(ctx.db, customerId, req.notificationId)))
          throw new NotFoundError('Notification not found');
        return {};
      },
      async listDeliveries(req, ctx) {
        const role = ctx.identity?.role;
        if (!role) throw new UnauthorizedError();
        // Addresses are personal data: only admins (and services) see deliveries.
        if (role !== 'admin' && role !== 'system') throw new ForbiddenError('Only an admin can list deliveries');
        const limit = req.limit ?? DEFAULT_LIMIT;
        const filter = {
          ...(req.customerId ? { customerId: req.customerId } : {}),
          ...(req.channel ? { channel: req.channel } : {}),
        };
        const rows = await listDeliveries(
          ctx.db,
          filter,
          limit,
          req.cursor ? deliveryCursor.decode(req.cursor) : undefined,
        );
        const page = rows.slice(0, limit);
        return {
          items: page.map((r) => ({
            id: r.id,
            notificationId: r.notification_id,
            customerId: r.customer_id,
            channel: r.channel,
            to: r.recipient,
            subject: r.subject,
            status: r.status,
            attempts: r.attempts,
            at: r.attempted_at.toISOString(),
            ...(r.detail ? { lastError: r.detail } : {}),
          })),
          nextCursor: rows.length > limit ? deliveryCursor.encode(page[page.length - 1]!.seq) : null,
        };
      },
    },
    handlers: [
      on(
        paymentsContract.events.PaymentCompleted,
        async (data, ctx) => {
          await notify(ctx, data.customerId, paymentCompleted(data));
        },
        BATCHED,
      ),
      on(
        paymentsContract.events.PaymentFailed,
        async (data, ctx) => {
          await notify(ctx, data.customerId, paymentFailed(data));
        },
        BATCHED,
      ),
      on(
        ordersContract.events.OrderStatusChanged,
        async (data, ctx) => {
          const message = orderStatusChanged(data);
          if (message) await notify(ctx, data.customerId, message);
        },
        // Pending and placed tell the customer nothing: not even an inbox row for them.
        { ...BATCHED, when: (data) => orderStatusChanged(data) !== null },
      ),
      on(
        strategiesContract.events.StrategyCreated,
        async (data, ctx) => {
          // Only recorded here: the worker writes it to the opted-in customers a page at a time (announcements.ts).
          if (await recordAnnouncement(ctx.tx, { id: ctx.envelope.id, type: ctx.envelope.type }, strategyCreated(data)))
            ctx.tx.afterCommit(() => wakeDeliveries(true));
        },
        BATCHED,
      ),
      on(
        customersContract.events.CustomerRegistered,
        async (data, ctx) => {
          await store.savePreferences(
            ctx.tx,
            data.customerId,
            data.preferences,
            { email: data.email, phone: data.phone },
            ctx.envelope.time,
          );
        },
        BATCHED,
      ),
      on(
        customersContract.events.CustomerUpdated,
        async (data, ctx) => {
          const saved = await store.savePreferences(
            ctx.tx,
            data.customerId,
            data.preferences,
            { email: data.email, phone: data.phone },
            ctx.envelope.time,
          );
          // Sent by the settings just saved: a new phone number hears of itself, and so does the e-mail address.
          const notice = saved && settingsChanged(saved.before, saved.after);
          if (notice) await notify(ctx, data.customerId, notice);
        },
        BATCHED,
      ),
    ],
  });
}

export const notificationsService = createNotificationsService();
