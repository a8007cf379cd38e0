/**
 * Shared by saga.test.ts and the crash child process: a database with the chassis tables and two
 * tables that make effects countable, a runner factory, and the saga the crash tests kill mid-way.
 */
import { Type as T } from '@sinclair/typebox';
import { Database } from '../../src/db/database.ts';
import { migrate, readMigrations } from '../../src/db/migrations.ts';
import type { EventDef } from '../../src/contract/contract.ts';
import type { Call } from '../../src/messaging/rpc.ts';
import { inTransaction } from '../../src/messaging/tx.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createTestDatabase, type TestDatabase } from '../../src/testing/database.ts';
import { SagaRunner, type SagaRunnerOptions } from '../../src/saga/runner.ts';
import { done, SagaFailure, type SagaDefinition, type SagaStep, type SagaStatus } from '../../src/saga/types.ts';

export const SERVICE = 'sagatest';
export const cause = { correlationId: 'corr-saga-test' };

/**
 * `saga_effects`: what steps wrote in their transaction (must exist once per committed step).
 * `saga_attempts`: written outside it, so it survives rollbacks and crashes: how often a step ran.
 */
export async function prepare(db: Database): Promise<void> {
  await migrate(db, await readMigrations(new URL('../../migrations', import.meta.url).pathname, 'chassis'));
  await db.query(`CREATE TABLE saga_effects (id bigserial PRIMARY KEY, saga_id text NOT NULL, step text NOT NULL, phase text NOT NULL);
                  CREATE TABLE saga_attempts (id bigserial PRIMARY KEY, saga_id text NOT NULL, step text NOT NULL, phase text NOT NULL)`);
}

export async function testDatabase(): Promise<TestDatabase> {
  const t = await createTestDatabase('saga');
  await prepare(t.db);
  return t;
}

const noCall: Call = async () => {
  throw new Error('no RPC in saga tests');
};

export function newRunner(
  db: Database,
  sagas: SagaDefinition<any>[],
  options: Partial<SagaRunnerOptions> = {},
): SagaRunner {
  return new SagaRunner({
    service: SERVICE,
    db,
    log: createLogger({ service: SERVICE, level: process.env.LOG_LEVEL ?? 'silent' }),
    sagas,
    call: () => noCall,
    pollIntervalMs: 20,
    leaseMs: 500,
    ...options,
  });
}

/** Begins a saga in a transaction of its own, as a service's handler would in its own. */
/**
 * A fresh database and a started runner of `sagas` (made from the database, when they write to it)
 * for `fn`; both stopped and dropped after it, whatever it did.
 */
export async function withRunner<const S extends readonly SagaDefinition<any, any>[]>(
  sagas: S | ((db: Database) => S),
  fn: (ctx: { db: Database; runner: SagaRunner; t: TestDatabase; sagas: S }) => Promise<void>,
  options: Partial<SagaRunnerOptions> = {},
): Promise<void> {
  const t = await testDatabase();
  const made = typeof sagas === 'function' ? sagas(t.db) : sagas;
  const runner = newRunner(t.db, [...made], options);
  try {
    await runner.start();
    await fn({ db: t.db, runner, t, sagas: made });
  } finally {
    await runner.stop();
    await t.drop();
  }
}

export function begin<D>(
  runner: SagaRunner,
  db: Database,
  saga: SagaDefinition<D>,
  data: D,
  id?: string,
): Promise<string> {
  return inTransaction(db, { service: SERVICE, cause }, (tx) =>
    runner.begin(tx, saga, { data, cause, ...(id ? { id } : {}) }),
  );
}

/** Polls `check` until it returns a value (not undefined), for up to `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function statusIs(runner: SagaRunner, id: string, ...statuses: SagaStatus[]) {
  return eventually(
    async () => {
      const s = await runner.inspect(id);
      return s && statuses.includes(s.status) ? s : undefined;
    },
    `saga ${id} to be ${statuses.join(' or ')}`,
  );
}

/** Rows of `table` per `step/phase`, e.g. {'s1/action': 1}. */
export async function counts(
  db: Database,
  table: 'saga_effects' | 'saga_attempts',
  sagaId: string,
): Promise<Record<string, number>> {
  const { rows } = await db.query<{ k: string; n: number }>(
    `SELECT step || '/' || phase AS k, count(*)::int AS n FROM ${table} WHERE saga_id = $1 GROUP BY 1`,
    [sagaId],
  );
  return Object.fromEntries(rows.map((r) => [r.k, r.n]));
}

export const StepDone: EventDef = {
  kind: 'event',
  service: SERVICE,
  name: 'StepDone',
  version: 1,
  type: `${SERVICE}.StepDone.v1`,
  data: T.Object({ sagaId: T.String(), step: T.String() }),
};

export interface CrashData {
  fail?: boolean;
  s1?: boolean;
  s2?: boolean;
  s3?: boolean;
}

/**
 * Three steps, each writing an effect row in its transaction. `crashAt` kills the process with
 * SIGKILL: `call:sN` before the step touched its transaction (as while it calls another service);
 * `action:sN` / `compensate:sN` after the step wrote its effect but before its transaction
 * committed; `commit:sN` / `compensate-commit:sN` right after it committed. With `fail`, s3 refuses
 * (after writing its effect, which must then vanish) and the saga compensates s3, s2, s1.
 */
export function crashSaga(
  db: Database,
  crashAt?: string,
  options: { localS3?: boolean } = {},
): SagaDefinition<CrashData> {
  const crash = (): Promise<never> => {
    process.kill(process.pid, 'SIGKILL');
    return new Promise<never>(() => {});
  };
  const step = (n: number): SagaStep<CrashData> => ({
    name: `s${n}`,
    async action(ctx) {
      await db.query("INSERT INTO saga_attempts (saga_id, step, phase) VALUES ($1, $2, 'action')", [
        ctx.sagaId,
        ctx.step,
      ]);
      // `call:sN`: while the step talks to others, before its transaction is even open.
      if (crashAt === `call:s${n}`) await crash();
      await ctx.tx.query("INSERT INTO saga_effects (saga_id, step, phase) VALUES ($1, $2, 'action')", [
        ctx.sagaId,
        ctx.step,
      ]);
      if (n === 3 && ctx.data.fail) throw new SagaFailure('refused', 's3 refused');
      if (crashAt === `action:s${n}`) await crash();
      if (crashAt === `commit:s${n}`) ctx.tx.afterCommit(() => void crash());
      return done<CrashData>({ [`s${n}`]: true });
    },
    async compensate(ctx) {
      await db.query("INSERT INTO saga_attempts (saga_id, step, phase) VALUES ($1, $2, 'compensation')", [
        ctx.sagaId,
        ctx.step,
      ]);
      await ctx.tx.query("INSERT INTO saga_effects (saga_id, step, phase) VALUES ($1, $2, 'compensation')", [
        ctx.sagaId,
        ctx.step,
      ]);
      if (crashAt === `compensate:s${n}`) await crash();
      if (crashAt === `compensate-commit:s${n}`) ctx.tx.afterCommit(() => void crash());
    },
  });
  // With `localS3`, s3 is a local step: its start runs in the transaction that records s2.
  if (options.localS3) return { name: 'CrashyLocal', steps: [step(1), step(2), { ...step(3), local: true }] };
  return { name: 'Crashy', steps: [step(1), step(2), step(3)] };
}
