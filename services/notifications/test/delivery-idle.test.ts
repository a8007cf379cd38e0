/**
 * With nothing to deliver, the delivery worker is told nothing is due, so it sleeps (its back-off
 * doubles up to 10 s) instead of starting the next round at once. Before, "no pending delivery" read
 * as "due now" (PostgreSQL's greatest() ignores a NULL) and an idle system committed thousands of
 * transactions a second in the notifications database (`npm run bench:count` showed it).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestService, type TestService } from '@simplebank/chassis/testing';
import { policyFromSettings, runRound } from '../src/delivery-worker.ts';
import { nextDueInMs } from '../src/delivery-store.ts';
import { createNotificationsService } from '../src/service.ts';
import { ScriptedChannel } from './fakes.ts';

describe('the delivery worker with nothing to deliver', () => {
  let svc: TestService;
  const channels = { email: new ScriptedChannel('email'), sms: new ScriptedChannel('sms') };
  before(async () => {
    svc = await startTestService(createNotificationsService({ channels: () => channels }));
  });
  after(async () => {
    await svc.stop();
  });

  it('is told that nothing is due (not "due now") when no delivery is pending', async () => {
    assert.equal(await nextDueInMs(svc.database.db), undefined);
  });

  it('ends a round with no work and nothing due, so it sleeps', async () => {
    const round = await runRound(svc.host.baseContext, channels, policyFromSettings(), () => {});
    assert.deepEqual(round, { worked: 0, nextDueInMs: undefined, announcing: false });
  });
});
