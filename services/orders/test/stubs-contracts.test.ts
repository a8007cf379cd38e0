/**
 * orders' fake collaborators (test/fake-collaborators.ts: accounts, market-data and an in-memory
 * ledger) answer what orders reads of the services they stand for: the same example calls its
 * expectations (test/contracts/*.expectations.ts) make on the real providers in their own tests
 * (decision 37). The states are set up in the fake world, as the providers' tests do for real.
 */
import { transactionsContract } from '@simplebank/transactions/contract';
import { loadConsumerExpectations, verifyStubs } from '@simplebank/chassis/testing';
import { FakeWorld } from './fake-collaborators.ts';

/** The providers the fake world stands for; orders' tests run the real fees service (startTestSystem). */
const STUBBED = ['accounts', 'market-data', 'transactions'];
const expectations = (
  await loadConsumerExpectations('orders', { servicesDir: new URL('../..', import.meta.url) })
).filter((e) => STUBBED.includes(e.provider));
let world = new FakeWorld();
let n = 0;
const freshAccount = (ownerId: string, cash: string, positions: Record<string, string> = {}) => {
  const id = `acc-stub-${++n}`;
  world.openAccount(id, ownerId, cash, positions);
  return id;
};

verifyStubs(expectations, () => (world = new FakeWorld()).stubs(), {
  states: {
    'an account of the caller': ({ identity }) => ({
      request: { accountId: freshAccount(identity.customerId, '0.00') },
    }),
    'an account with cash': () => ({ request: { accountId: freshAccount('c-orders', '1000.00') } }),
    'an account holding ABC': () => ({ request: { accountId: freshAccount('c-orders', '0.00', { ABC: '5' }) } }),
    'a cash reservation': async ({ call, request }) => {
      const accountId = freshAccount('c-orders', '1000.00');
      const orderId = typeof request.orderId === 'string' ? request.orderId : `o-${n}`;
      const { reservationId } = await call(
        transactionsContract,
        'reserveCash',
        { accountId, amount: '200.00', orderId },
        { idempotencyKey: `state-${n}` },
      );
      return { request: { accountId, reservationId } };
    },
  },
});
