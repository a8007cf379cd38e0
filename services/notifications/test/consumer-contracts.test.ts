/**
 * notifications honours what its consumers expect of it (decision 37): every
 * services/<consumer>/test/contracts/notifications.expectations.ts, against the real service. The
 * state delivers a deposit's PaymentCompleted for the customer the interaction names, waits for its
 * notification, and hands the interaction its id.
 */
import { randomUUID } from 'node:crypto';
import { eventually, verifyConsumerExpectations } from '@simplebank/chassis/testing';
import { paymentsContract } from '@simplebank/payments/contract';
import { notificationsContract } from '../src/contract.ts';
import { notificationsService } from '../src/service.ts';

await verifyConsumerExpectations(notificationsService, {
  servicesDir: new URL('../..', import.meta.url),
  states: {
    'a notification of the caller': async ({ service, identity, request }) => {
      // The customer is the caller, or the one an admin's request names.
      const customerId = typeof request.customerId === 'string' ? request.customerId : identity.customerId;
      const paymentId = randomUUID();
      await service.deliver(paymentsContract.events.PaymentCompleted, {
        paymentId,
        accountId: `acc-${customerId}`,
        customerId,
        kind: 'deposit',
        method: 'card',
        amount: '10.00',
      });
      const inbox = service.callAs({ customerId, role: 'customer' });
      const page = await eventually(async () => {
        const p = await inbox(notificationsContract, 'listNotifications', {});
        return p.items.length > 0 ? p : undefined;
      });
      return { request: { notificationId: page.items[0]!.id } };
    },
  },
});
