/**
 * reporting honours what its consumers expect of it (decision 37): every
 * services/<consumer>/test/contracts/reporting.expectations.ts, against the real service. The state
 * delivers the events of a deposit and a filled buy on a new account of the caller, as orders, fees
 * and transactions publish them, waits until the statement shows them, and hands the interaction the
 * account's id.
 */
import { randomUUID } from 'node:crypto';
import { eventually, verifyConsumerExpectations } from '@simplebank/chassis/testing';
import { reportingContract } from '../src/contract.ts';
import { reportingService } from '../src/service.ts';
import { filledBuy } from './events.ts';

await verifyConsumerExpectations(reportingService, {
  servicesDir: new URL('../..', import.meta.url),
  states: {
    'a filled buy on an account of the caller': async ({ service, identity }) => {
      // The buyer is the caller, or a customer of the admin's.
      const buyer =
        identity.role === 'admin' ? { customerId: `c-${randomUUID()}`, role: 'customer' as const } : identity;
      const accountId = `acc-${randomUUID()}`;
      const { events } = filledBuy(buyer, accountId, Date.parse('2026-12-06T10:00:00Z'));
      for (const e of events) await service.deliver(e.type, e.data, { id: e.id });
      await eventually(async () => {
        const s = await service.callAs(buyer)(reportingContract, 'getStatement', {
          accountId,
          from: '2026-01-01',
          to: '2027-01-01',
        });
        return s.lines.length === 3 ? s : undefined;
      });
      return { request: { accountId } };
    },
  },
});
