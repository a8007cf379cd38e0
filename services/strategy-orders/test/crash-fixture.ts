/**
 * Shared by crash.test.ts and its child process: the world both see, the investment the child
 * makes, and the saga the child runs — the real one, with a SIGKILL at a named point:
 * `call:<step>` as the step starts (before it calls anyone or writes), `action:<step>` after the
 * step did its work and wrote in its transaction, before the commit, `commit:<step>` right after
 * the commit (for a step that waits, at the invocation that finishes it). The fake payments and
 * orders crash too (FAKE_CRASH_AT: `payment`, `order:<n>`), after their effect and before answering.
 */
import type { SagaDefinition, ServiceDefinition } from '@simplebank/chassis';
import { investSaga, type InvestData } from '../src/saga.ts';
import type { FakeWorld } from './fake-world.ts';

export const STRATEGY_ID = '6a1d0c4e-5b7f-4e42-9a51-0c3f2d1b8e77';
export const CUSTOMER = { customerId: 'dana', role: 'customer' as const };
export const KEY = 'dana:crash-investment';
export const BODY = {
  strategyId: STRATEGY_ID,
  destinationAccountId: 'acc-crash',
  amount: '1000.00',
  method: 'card' as const,
  card: { number: '4242424242424242' },
};
/** Short safety-net polls, so a resumed investment never waits long for news lost in the crash. */
export const SETTINGS = { INVESTMENT_PAYMENT_CHECK_MS: '300', INVESTMENT_ORDER_CHECK_MS: '300' };

export function configure(world: FakeWorld): void {
  world.strategies.set(STRATEGY_ID, {
    name: 'Thirds',
    assets: [
      { assetId: 'AAA', percentage: '33.33' },
      { assetId: 'BBB', percentage: '33.33' },
      { assetId: 'CCC', percentage: '33.34' },
    ],
  });
  world.accounts.set('acc-crash', { ownerId: 'dana', status: 'open' });
}

export function crash(): Promise<never> {
  process.kill(process.pid, 'SIGKILL');
  return new Promise<never>(() => {});
}

/** The service with its saga's steps killing the process at `at`. */
export function crashing(service: ServiceDefinition<any>, at: string): ServiceDefinition<any> {
  const saga: SagaDefinition<InvestData> = {
    ...investSaga,
    steps: investSaga.steps.map((step) => ({
      ...step,
      async action(ctx: Parameters<typeof step.action>[0]) {
        if (at === `call:${step.name}`) await crash();
        const outcome = await step.action(ctx);
        if (outcome && outcome.kind !== 'done') return outcome;
        if (at === `action:${step.name}`) {
          await ctx.tx.query('SELECT 1'); // the step's transaction is open, its writes in it, uncommitted
          await crash();
        }
        if (at === `commit:${step.name}`) ctx.tx.afterCommit(() => void crash());
        return outcome;
      },
    })),
  };
  return { ...service, sagas: [saga] };
}
