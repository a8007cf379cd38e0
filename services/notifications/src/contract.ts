/** notifications: each customer's in-app inbox, written once per event, and its deliveries by channel (in-app, email, SMS). */
import { Page, PageRequest, T, defineContract, rpc } from '@simplebank/chassis';

export const Notification = T.Object({
  id: T.String(),
  kind: T.String(),
  title: T.String(),
  body: T.String(),
  at: T.String({ format: 'date-time' }),
  read: T.Boolean(),
});

export const DeliveryChannel = T.Union([T.Literal('in_app'), T.Literal('email'), T.Literal('sms')]);
export const Delivery = T.Object({
  id: T.String(),
  notificationId: T.String(),
  customerId: T.String(),
  channel: DeliveryChannel,
  /** The address: the customer id (in_app), an e-mail address or a phone number. Personal data: admins only. */
  to: T.Union([T.String(), T.Null()]),
  subject: T.String(),
  /** pending: not sent yet, or tried and due again (with back-off); failed: given up (lastError says why). */
  status: T.Union([T.Literal('delivered'), T.Literal('failed'), T.Literal('pending')]),
  attempts: T.Integer(),
  /** When it was delivered, given up, or last tried (when it was planned, before a first attempt). */
  at: T.String({ format: 'date-time' }),
  lastError: T.Optional(T.String()),
});

export const notificationsContract = defineContract({
  service: 'notifications',
  rpc: {
    /** The calling customer's notifications, newest first. */
    listNotifications: rpc({ request: T.Object({ ...PageRequest }), response: Page(Notification) }),
    markRead: rpc({ request: T.Object({ notificationId: T.String() }), response: T.Object({}), errors: ['not_found'] }),
    /** Admins (and services) only: deliveries by channel, newest first, optionally of one customer and channel. */
    listDeliveries: rpc({
      request: T.Object({
        customerId: T.Optional(T.String({ minLength: 1, maxLength: 100 })),
        channel: T.Optional(DeliveryChannel),
        ...PageRequest,
      }),
      response: Page(Delivery),
    }),
  },
});
