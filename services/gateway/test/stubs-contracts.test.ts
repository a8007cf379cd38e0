/**
 * The gateway's stubs (test/stubs.ts) answer what the gateway reads of the services they stand for:
 * the same example calls its expectations (test/contracts/*.expectations.ts) make on the real
 * providers in their own tests (decision 37). A stub that drifts from its service fails here.
 */
import { loadConsumerExpectations, verifyStubs } from '@simplebank/chassis/testing';
import { customersContract } from '@simplebank/customers/contract';
import { ALICE, strategiesStub, strategyOrdersStub, world } from './stubs.ts';

const expectations = await loadConsumerExpectations('gateway', { servicesDir: new URL('../..', import.meta.url) });
verifyStubs(expectations, () => [...world().stubs, strategiesStub(), strategyOrdersStub()], {
  states: {
    // A session the stub knows: opened first, its refresh token and id handed to the interaction.
    'a session': async ({ call }) => {
      const s = await call(customersContract, 'startSession', { customerId: ALICE });
      return { request: { refreshToken: s.refreshToken, sessionId: s.sessionId } };
    },
  },
});
