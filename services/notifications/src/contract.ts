/** notifications: each customer's in-app inbox, written once per event, and its deliveries by channel (in-app, email, SMS). */
import { DateTime, Page, PageRequest, T, defineContract, rpc } from '@simplebank/chassis';

export const Notification = T.Object({
  id: T.String(),
  kind: T.String(),
  title: T.String(),
  body: T.String(),
  at: DateTime,
  read: T.Boolean(),
});

export const DeliveryChannel = T.Union([T.Literal('in_app'), T.Literal('email'), T.Literal('sms')], {
  description: "in_app: the inbox (always); email and sms: by the customer's preferences",
});
export const Delivery = T.Object({
  id: T.String(),
  notificationId: T.String(),
  customerId: T.String(),
  channel: DeliveryChannel,
  /** Personal data: admins only. */
  to: T.Union([T.String(), T.Null()], {
    description:
      'The customer id (in_app), the e-mail address (email) or the phone number (sms); null when none was on file',
  }),
  subject: T.String({ description: "The notification's title" }),
  status: T.Union([T.Literal('delivered'), T.Literal('failed'), T.Literal('pending')], {
    description:
      'pending: not sent yet, or tried and due again (retried with back-off); failed: given up (a permanent refusal, no address, or too many attempts); delivered: handed to the channel',
  }),
  attempts: T.Integer(),
  at: T.String({
    format: 'date-time',
    description: 'When it was delivered, given up or last tried (planned, before a first attempt)',
  }),
  lastError: T.Optional(T.String({ description: 'Why the last attempt failed' })),
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
