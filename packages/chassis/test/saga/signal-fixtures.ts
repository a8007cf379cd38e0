/**
 * The saga of saga-signal-within.test.ts and its crash child: `wait` (local) waits for `go`, `after`
 * (local) follows at once, `last` is not local (a runner takes it). Each writes its effect row in its
 * transaction and counts its attempt outside it.
 */
import type { Database } from '../../src/db/database.ts';
import { done, waitFor, type SagaDefinition, type SagaStep } from '../../src/saga/types.ts';

export interface WaitingData {
  go?: unknown;
}

export function waitingSaga(
  db: Database,
  hooks: { onGo?: (ctx: Parameters<SagaStep<WaitingData>['action']>[0]) => Promise<void> } = {},
): SagaDefinition<WaitingData> {
  const effect = async (ctx: Parameters<SagaStep<WaitingData>['action']>[0]) => {
    await db.query("INSERT INTO saga_attempts (saga_id, step, phase) VALUES ($1, $2, 'action')", [
      ctx.sagaId,
      ctx.step,
    ]);
    await ctx.tx.query("INSERT INTO saga_effects (saga_id, step, phase) VALUES ($1, $2, 'action')", [
      ctx.sagaId,
      ctx.step,
    ]);
  };
  return {
    name: 'Waiting',
    steps: [
      {
        name: 'wait',
        local: true,
        async action(ctx) {
          if (ctx.wakeUp.kind === 'start') return waitFor(['go']);
          await hooks.onGo?.(ctx);
          await effect(ctx);
          return done({ go: ctx.wakeUp.kind === 'signal' ? ctx.wakeUp.payload : null });
        },
      },
      {
        name: 'after',
        local: true,
        async action(ctx) {
          await effect(ctx);
          return done();
        },
      },
      {
        name: 'last',
        async action(ctx) {
          await effect(ctx);
          return done();
        },
      },
    ],
  };
}
