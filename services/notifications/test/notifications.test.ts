/** notifications as a component: real PostgreSQL, events delivered as payments, orders and customers publish them. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Identity } from '@simplebank/chassis';
import { eventually, startTestService, type TestService } from '@simplebank/chassis/testing';
import { customersContract } from '@simplebank/customers/contract';
import { ordersContract } from '@simplebank/orders/contract';
import { paymentsContract } from '@simplebank/payments/contract';
import { notificationsContract } from '../src/contract.ts';
import { notificationsService } from '../src/service.ts';
import { notificationsSettings } from '../src/settings.ts';

const customer = (): Identity => ({ customerId: `c-${randomUUID()}`, role: 'customer' });
const COMPLETED = paymentsContract.events.PaymentCompleted.type;
const FAILED = paymentsContract.events.PaymentFailed.type;
const ORDER = ordersContract.events.OrderStatusChanged.type;

const payment = (who: Identity, amount = '250.00') => ({
  paymentId: randomUUID(),
  accountId: 'acc-1',
  customerId: who.customerId,
  kind: 'deposit' as const,
  method: 'card' as const,
  amount,
});
const orderEvent = (who: Identity, status: string, extra: object = {}) => ({
  orderId: randomUUID(),
  accountId: 'acc-1',
  customerId: who.customerId,
  assetId: 'AAPL',
  side: 'buy',
  quantity: '10',
  status,
  reason: null,
  fillPrice: null,
  fee: '1.01',
  at: new Date().toISOString(),
  ...extra,
});

describe('notifications', () => {
  let svc: TestService;
  let sinks: string;
  before(async () => {
    // The file sinks of the default channels write here, not into the developer's data folder.
    sinks = await mkdtemp(join(tmpdir(), 'notifications-'));
    notificationsSettings.load({ NOTIFICATIONS_SINK_DIR: sinks });
    svc = await startTestService(notificationsService);
  });
  after(async () => {
    await svc.stop();
    await rm(sinks, { recursive: true, force: true });
  });
  const list = (who: Identity, page: { limit?: number; cursor?: string } = {}) =>
    svc.callAs(who)(notificationsContract, 'listNotifications', page);
  const waitFor = (who: Identity, n: number) =>
    eventually(async () => {
      const p = await list(who, { limit: 200 });
      return p.items.length >= n ? p.items : undefined;
    });

  it('deposit completed, deposit declined, order filled, order rejected: one notification each, with the amounts', async () => {
    const alice = customer();
    await svc.deliver(COMPLETED, payment(alice, '250.00'));
    await svc.deliver(FAILED, { ...payment(alice, '99.00'), reason: 'card_declined' });
    await svc.deliver(ORDER, orderEvent(alice, 'filled', { fillPrice: '101.25' }));
    await svc.deliver(
      ORDER,
      orderEvent(alice, 'rejected', { reason: 'insufficient_funds', side: 'sell', quantity: '3' }),
    );
    const items = await waitFor(alice, 4);
    assert.equal(items.length, 4);
    // newest first
    assert.deepEqual(
      items.map((n) => n.kind),
      ['order_rejected', 'order_filled', 'deposit_failed', 'deposit_completed'],
    );
    const [rejected, filled, declined, completed] = items as [
      (typeof items)[0],
      (typeof items)[0],
      (typeof items)[0],
      (typeof items)[0],
    ];
    assert.equal(completed.title, 'Deposit completed');
    assert.match(completed.body, /250\.00 USD/);
    assert.equal(declined.title, 'Deposit failed: card declined');
    assert.match(declined.body, /99\.00 USD/);
    assert.doesNotMatch(declined.body, /4000/);
    assert.equal(filled.title, 'Order filled: buy 10 AAPL');
    assert.match(filled.body, /^Bought 10 AAPL at 101\.25; fee 1\.01\./);
    assert.equal(rejected.title, 'Order rejected: sell 3 AAPL');
    assert.match(rejected.body, /not enough cash/);
    assert.ok(items.every((n) => n.read === false && !Number.isNaN(Date.parse(n.at))));
  });

  it('the same event delivered twice, or replayed under the same id, gives one notification', async () => {
    const bob = customer();
    const id = randomUUID();
    const data = payment(bob, '10.00');
    await svc.deliver(COMPLETED, data, { id });
    await svc.deliver(COMPLETED, data, { id });
    // a replay that the chassis inbox does not see (e.g. its row was housekept): the table's unique key holds
    const forgotten = await svc.database.db.query('DELETE FROM chassis_inbox WHERE message_id = $1', [id]);
    assert.equal(forgotten.rowCount, 1);
    await svc.deliver(COMPLETED, data, { id });
    // a later event shows the ones before it were handled
    await svc.deliver(COMPLETED, payment(bob, '20.00'));
    const items = await waitFor(bob, 2);
    assert.deepEqual(
      items.map((n) => n.body.match(/of (\S+) USD/)![1]),
      ['20.00', '10.00'],
    );
  });

  it('pending and placed statuses produce nothing; failed, expired and canceled do', async () => {
    const carol = customer();
    await svc.deliver(ORDER, orderEvent(carol, 'pending'));
    await svc.deliver(ORDER, orderEvent(carol, 'placed'));
    await svc.deliver(ORDER, orderEvent(carol, 'failed', { reason: 'exchange_unavailable' }));
    await svc.deliver(ORDER, orderEvent(carol, 'expired', { reason: 'expired' }));
    await svc.deliver(ORDER, orderEvent(carol, 'canceled', { reason: 'canceled_by_customer' }));
    const items = await waitFor(carol, 3);
    assert.deepEqual(
      items.map((n) => n.kind),
      ['order_canceled', 'order_expired', 'order_failed'],
    );
  });

  it("lists newest first, page by page with the cursor, only the caller's own", async () => {
    const dave = customer();
    const erin = customer();
    for (let i = 1; i <= 5; i++) await svc.deliver(COMPLETED, payment(dave, `${i}.00`));
    await svc.deliver(COMPLETED, payment(erin, '77.00'));
    await waitFor(dave, 5);
    const amounts: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await list(dave, { limit: 2, ...(cursor ? { cursor } : {}) });
      pages++;
      amounts.push(...page.items.map((n) => n.body.match(/of (\S+) USD/)![1]!));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    assert.equal(pages, 3);
    assert.deepEqual(amounts, ['5.00', '4.00', '3.00', '2.00', '1.00']);
    assert.deepEqual(
      (await waitFor(erin, 1)).map((n) => n.body.match(/of (\S+) USD/)![1]),
      ['77.00'],
    );
    await assert.rejects(list(dave, { cursor: 'bm90LWEtY3Vyc29y' }), (e: { status?: number }) => e.status === 400);
  });

  it("markRead marks the caller's own; another customer's is not_found and stays unread", async () => {
    const frank = customer();
    const grace = customer();
    await svc.deliver(COMPLETED, payment(frank, '5.00'));
    await svc.deliver(COMPLETED, payment(frank, '6.00'));
    const [newest, older] = (await waitFor(frank, 2)) as unknown as [{ id: string }, { id: string }];
    await assert.rejects(
      svc.callAs(grace)(notificationsContract, 'markRead', { notificationId: newest.id }),
      (e: { code?: string; status?: number }) => e.code === 'not_found' && e.status === 404,
    );
    await assert.rejects(
      svc.callAs(frank)(notificationsContract, 'markRead', { notificationId: 'no-such-id' }),
      (e: { code?: string }) => e.code === 'not_found',
    );
    assert.deepEqual(await svc.callAs(frank)(notificationsContract, 'markRead', { notificationId: older.id }), {});
    const items = await list(frank);
    assert.deepEqual(
      items.items.map((n) => [n.id, n.read]),
      [
        [newest.id, false],
        [older.id, true],
      ],
    );
  });

  it("stores preferences from customers' events; an opted-in channel without a known address is recorded failed", async () => {
    const heidi = customer();
    await svc.deliver(customersContract.events.CustomerRegistered.type, {
      customerId: heidi.customerId,
      name: 'Heidi',
      role: 'customer',
      preferences: { email: false, sms: false, push: false },
    });
    await svc.deliver(customersContract.events.CustomerUpdated.type, {
      customerId: heidi.customerId,
      name: 'Heidi',
      preferences: { email: true, sms: false, push: false },
    });
    await eventually(async () => {
      const { rows } = await svc.database.db.query<{ email: boolean }>(
        'SELECT email FROM preferences WHERE customer_id = $1',
        [heidi.customerId],
      );
      return rows[0]?.email === true;
    });
    await svc.deliver(COMPLETED, payment(heidi));
    const items = await waitFor(heidi, 2);
    assert.deepEqual(
      items.map((i) => i.kind).sort(),
      ['deposit_completed', 'settings_changed'],
      'told of the change, then of the deposit',
    );
    const n = items.find((i) => i.kind === 'deposit_completed');
    // These events (as written before issue 11) carry no e-mail address: there is nowhere to send it.
    const { rows } = await svc.database.db.query<{ channel: string; status: string; detail: string | null }>(
      'SELECT channel, status, detail FROM deliveries WHERE notification_id = $1 ORDER BY channel',
      [n!.id],
    );
    assert.deepEqual(
      rows.map((r) => [r.channel, r.status, r.detail]),
      [
        ['email', 'failed', 'no e-mail address on file'],
        ['in_app', 'delivered', null],
      ],
    );
  });
});
