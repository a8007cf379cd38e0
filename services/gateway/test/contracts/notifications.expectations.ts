/**
 * What the gateway reads of notifications (decision 37): the customer's inbox, a notification marked
 * read (src/routes/notifications.ts: shown as notifications answers, 404 for one not theirs), and the
 * admin's delivery records (GET /v1/admin/deliveries). Verified against notifications by
 * services/notifications/test/consumer-contracts.test.ts; the gateway's stubs (test/stubs.ts) by
 * test/stubs-contracts.test.ts.
 */
import { expects, type Read } from '@simplebank/chassis/testing';
import { notificationsContract } from '@simplebank/notifications/contract';

const ALICE = { customerId: 'c-alice', role: 'customer' } as const;
const ADMIN = { customerId: 'c-admin', role: 'admin' } as const;

const notification: Read[] = [
  { path: 'items[].id', type: 'string' },
  { path: 'items[].kind', type: 'string' },
  { path: 'items[].title', type: 'string' },
  { path: 'items[].body', type: 'string' },
  { path: 'items[].at', type: 'string' },
  { path: 'items[].read', type: 'boolean' },
  { path: 'nextCursor', type: ['string', 'null'] },
];

export default expects(notificationsContract, {
  consumer: 'gateway',
  interactions: [
    {
      description: "GET /v1/notifications lists the caller's inbox, newest first, page by page",
      given: 'a notification of the caller',
      as: ALICE,
      call: 'listNotifications',
      request: { limit: 10 },
      reads: notification,
    },
    {
      description: 'POST /v1/notifications/{id}/read marks one read',
      given: 'a notification of the caller',
      as: ALICE,
      call: 'markRead',
      request: { notificationId: 'n-1' },
      reads: [],
    },
    {
      description: "POST /v1/notifications/{id}/read answers 404 for another customer's",
      as: ALICE,
      call: 'markRead',
      request: { notificationId: 'not-a-notification' },
      error: 'not_found',
    },
    {
      description: "GET /v1/admin/deliveries lists a customer's deliveries by channel",
      given: 'a notification of the caller',
      as: ADMIN,
      call: 'listDeliveries',
      request: { customerId: 'c-alice', channel: 'in_app', limit: 10 },
      reads: [
        { path: 'items[].id', type: 'string' },
        { path: 'items[].notificationId', type: 'string' },
        { path: 'items[].customerId', type: 'string' },
        { path: 'items[].channel', type: 'string' },
        { path: 'items[].to', type: ['string', 'null'] },
        { path: 'items[].subject', type: 'string' },
        { path: 'items[].status', type: 'string' },
        { path: 'items[].attempts', type: 'number' },
        { path: 'items[].at', type: 'string' },
        { path: 'nextCursor', type: ['string', 'null'] },
      ],
    },
  ],
});
