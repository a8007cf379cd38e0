/**
 * customers honours what its consumers expect of it (decision 37): every
 * services/<consumer>/test/contracts/customers.expectations.ts, against the real service. The states
 * sign customers up and open sessions, and hand the interaction their real ids (and, for a
 * customer's own calls, the customer as the caller).
 */
import { randomUUID } from 'node:crypto';
import { verifyConsumerExpectations, type TestService } from '@simplebank/chassis/testing';
import { customersContract } from '../src/contract.ts';
import { customersService } from '../src/service.ts';

const SYSTEM = { customerId: 'service:contract-test', role: 'system' } as const;

/** Signs up a customer (a fresh e-mail unless one is given) and returns its id. */
async function signUp(
  service: TestService,
  email = `c-${randomUUID()}@example.com`,
  password = 'correct horse battery',
): Promise<string> {
  return (await service.callAs(SYSTEM)(customersContract, 'signup', { email, password, name: 'Contract' })).id;
}

const taken = new Set<string>();

await verifyConsumerExpectations(customersService, {
  servicesDir: new URL('../..', import.meta.url),
  states: {
    'a customer with this e-mail': async ({ service, request }) => {
      const email = String(request.email);
      if (!taken.has(email)) await signUp(service, email);
      taken.add(email);
    },
    'a customer with this password': async ({ service, request }) => {
      const email = String(request.email);
      if (!taken.has(email)) await signUp(service, email, 'correct horse battery');
      taken.add(email);
    },
    'a customer': async ({ service }) => ({ request: { customerId: await signUp(service) } }),
    'a session': async ({ service }) => {
      const s = await service.callAs(SYSTEM)(customersContract, 'startSession', { customerId: await signUp(service) });
      return { request: { refreshToken: s.refreshToken, sessionId: s.sessionId } };
    },
    'the caller is a customer': async ({ service }) => {
      const id = await signUp(service);
      return { request: { customerId: id }, identity: { customerId: id, role: 'customer' } };
    },
  },
});
