/**
 * A refusal past capacity waits for nothing: the admission decision does not wait for the read of
 * the pending count (under load the pool is busy and that wait made refusals take 0.5–1.2 s). With
 * a database whose every query hangs (an exhausted pool), orders are still admitted and refused.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Metrics, OverloadedError, type Database } from '@simplebank/chassis';
import { OrderIntake } from '../src/intake.ts';

process.env.ORDER_INTAKE_INITIAL_LIMIT = '2';
process.env.ORDER_INTAKE_MIN_LIMIT = '2';
process.env.ORDER_INTAKE_MAX_LIMIT = '2';

it('admits and refuses without waiting for the pool: a query that never answers does not hold the decision', async () => {
  let queries = 0;
  const hanging = { query: () => (queries++, new Promise(() => {})) } as unknown as Database;
  const intake = new OrderIntake();
  const metrics = new Metrics();
  // Were admit to await the count, these would never settle (and the test runner would fail it).
  await intake.admit(hanging, metrics);
  await intake.admit(hanging, metrics);
  await assert.rejects(
    intake.admit(hanging, metrics),
    (err) => err instanceof OverloadedError && err.code === 'overloaded',
  );
  assert.equal(queries, 1, 'one background read, shared');
});

it('uses the pending count read in the background for later decisions', async () => {
  const db = { query: async () => ({ rows: [{ n: 5 }] }) } as unknown as Database;
  const intake = new OrderIntake();
  const metrics = new Metrics();
  await intake.admit(db, metrics); // nothing known yet: admitted; the read starts
  await intake.refreshInProgress;
  await assert.rejects(intake.admit(db, metrics), OverloadedError);
});
