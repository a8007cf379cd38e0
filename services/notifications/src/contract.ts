/** notifications: each customer's in-app inbox, written once per event. */
import { Page, PageRequest, T, defineContract, rpc } from '@simplebank/chassis';

export const Notification = T.Object({
  id: T.String(),
  kind: T.String(),
  title: T.String(),
  body: T.String(),
  at: T.String({ format: 'date-time' }),
  read: T.Boolean(),
});

export const notificationsContract = defineContract({
  service: 'notifications',
  rpc: {
    /** The calling customer's notifications, newest first. */
    listNotifications: rpc({ request: T.Object({ ...PageRequest }), response: Page(Notification) }),
    markRead: rpc({ request: T.Object({ notificationId: T.String() }), response: T.Object({}), errors: ['not_found'] }),
  },
});
