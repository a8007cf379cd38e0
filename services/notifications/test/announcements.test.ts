/**
 * A new strategy is announced to every customer who opted in to email — one notification and one
 * email each, written a page at a time (two customers per page here), once however often the event
 * arrives or the fan-out is run again.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, startTestService, type TestService } from '@simplebank/chassis/testing';
import { customersContract } from '@simplebank/customers/contract';
import { strategiesContract } from '@simplebank/strategies/contract';
import { fileSms } from '../src/channels/sms.ts';
import { notificationsContract } from '../src/contract.ts';
import { createNotificationsService } from '../src/service.ts';
import { notificationsSettings } from '../src/settings.ts';
import { ScriptedChannel } from './fakes.ts';

const CREATED = strategiesContract.events.StrategyCreated.type;

describe('strategy announcements', () => {
  let svc: TestService;
  let sinks: string;
  const email = new ScriptedChannel('email');
  before(async () => {
    sinks = await mkdtemp(join(tmpdir(), 'notifications-announce-'));
    notificationsSettings.load({ NOTIFICATIONS_SINK_DIR: sinks });
    svc = await startTestService(
      createNotificationsService({ channels: () => ({ email, sms: fileSms(sinks) }), pageSize: 2 }),
    );
  });
  after(async () => {
    await svc.stop();
    await rm(sinks, { recursive: true, force: true });
  });

  it('emails "New strategy: <name>" once to each opted-in customer, page by page, however often the event comes', async () => {
    const customers = [
      { email: true, sms: false },
      { email: false, sms: true },
      { email: true, sms: true },
      { email: true, sms: false },
      { email: false, sms: false },
      { email: true, sms: false },
    ].map((p, i) => ({ id: `c-${i}-${randomUUID()}`, address: `announce-${i}-${randomUUID()}@example.test`, ...p }));
    for (const c of customers) {
      await svc.deliver(customersContract.events.CustomerRegistered.type, {
        customerId: c.id,
        name: 'C',
        role: 'customer',
        preferences: { email: c.email, sms: c.sms, push: false },
        email: c.address,
        phone: '+15550100199',
      });
    }
    await eventually(
      async () =>
        (
          await svc.database.db.query('SELECT 1 FROM preferences WHERE customer_id = ANY($1)', [
            customers.map((c) => c.id),
          ])
        ).rowCount === customers.length,
    );

    const id = randomUUID();
    const strategy = {
      strategyId: randomUUID(),
      name: 'Growth',
      assets: [
        { assetId: 'AAPL', percentage: '60.00' },
        { assetId: 'MSFT', percentage: '40.00' },
      ],
      createdById: 'admin-1',
      createdAt: new Date().toISOString(),
    };
    await svc.deliver(CREATED, strategy, { id });
    await svc.deliver(CREATED, strategy, { id });
    const optedIn = customers.filter((c) => c.email);
    await eventually(() => optedIn.every((c) => email.to(c.address).delivered.length === 1));
    await eventually(
      async () =>
        (await svc.database.db.query('SELECT 1 FROM announcements WHERE event_id = $1 AND done_at IS NOT NULL', [id]))
          .rowCount === 1,
    );

    // Run the whole fan-out again from the start (as a replay would): the (event, customer) key writes nobody twice.
    await svc.database.db.query(
      'UPDATE announcements SET after_customer_id = NULL, done_at = NULL WHERE event_id = $1',
      [id],
    );
    await eventually(
      async () =>
        (await svc.database.db.query('SELECT 1 FROM announcements WHERE event_id = $1 AND done_at IS NOT NULL', [id]))
          .rowCount === 1,
    );

    for (const c of customers) {
      const inbox = await svc.callAs({ customerId: c.id, role: 'customer' })(
        notificationsContract,
        'listNotifications',
        {},
      );
      const deliveriesOf = async () =>
        (
          await svc.callAs({ customerId: 'admin-1', role: 'admin' })(notificationsContract, 'listDeliveries', {
            customerId: c.id,
          })
        ).items;
      if (!c.email) {
        assert.deepEqual(inbox.items, [], 'no announcement for a customer who did not opt in to email');
        assert.deepEqual(await deliveriesOf(), []);
        assert.equal(email.to(c.address).attempts.length, 0);
        continue;
      }
      assert.deepEqual(
        inbox.items.map((n) => [n.kind, n.title]),
        [['strategy_created', 'New strategy: Growth']],
      );
      assert.match(inbox.items[0]!.body, /Growth \(AAPL 60\.00%, MSFT 40\.00%\)/);
      const mails = email.to(c.address).delivered;
      assert.equal(mails.length, 1, `one email to customer ${c.id}`);
      assert.equal(mails[0]!.subject, 'New strategy: Growth');
      const channels = await eventually(async () => {
        const deliveries = await deliveriesOf();
        return deliveries.every((d) => d.status === 'delivered') ? deliveries.map((d) => d.channel).sort() : undefined;
      });
      assert.deepEqual(channels, c.sms ? ['email', 'in_app', 'sms'] : ['email', 'in_app']);
    }
  });
});
