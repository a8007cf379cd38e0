/**
 * Channels as a component (real PostgreSQL): deliveries planned by preference in the consumer's
 * transaction, sent after it by the worker (a scripted email channel, the real SMS file sink),
 * once per channel, retried with back-off, never holding up the in-app notification.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Identity } from '@simplebank/chassis';
import { eventually, startTestService, type TestService } from '@simplebank/chassis/testing';
import { customersContract } from '@simplebank/customers/contract';
import { paymentsContract } from '@simplebank/payments/contract';
import { fileSms } from '../src/channels/sms.ts';
import { notificationsContract } from '../src/contract.ts';
import { createNotificationsService } from '../src/service.ts';
import { notificationsSettings } from '../src/settings.ts';
import { ScriptedChannel } from './fakes.ts';

const COMPLETED = paymentsContract.events.PaymentCompleted;
const ADMIN: Identity = { customerId: 'admin-1', role: 'admin' };
type Prefs = { email: boolean; sms: boolean; push: boolean };

describe('notification channels', () => {
  let svc: TestService;
  let sinks: string;
  const email = new ScriptedChannel('email');
  before(async () => {
    sinks = await mkdtemp(join(tmpdir(), 'notifications-channels-'));
    // Quick back-off, four attempts: the retries of a test run in milliseconds.
    notificationsSettings.load({
      NOTIFICATIONS_RETRY_BASE_MS: '20',
      NOTIFICATIONS_RETRY_MAX_MS: '100',
      NOTIFICATIONS_MAX_ATTEMPTS: '4',
      NOTIFICATIONS_SINK_DIR: sinks,
    });
    svc = await startTestService(createNotificationsService({ channels: () => ({ email, sms: fileSms(sinks) }) }));
  });
  after(async () => {
    await svc.stop();
    notificationsSettings.load({});
    await rm(sinks, { recursive: true, force: true });
  });

  /** A customer whose preferences and addresses notifications has heard of (CustomerRegistered). */
  async function customer(
    preferences: Partial<Prefs>,
    contact: { email?: string; phone?: string | null } = {},
  ): Promise<{ id: string; address: string; phone: string }> {
    const id = `c-${randomUUID()}`;
    const address = contact.email ?? `${id}@example.test`;
    const phone =
      contact.phone ??
      `+1555${Math.floor(Math.random() * 1e7)
        .toString()
        .padStart(7, '0')}`;
    const data = {
      customerId: id,
      name: 'Test',
      role: 'customer' as const,
      preferences: { email: false, sms: false, push: false, ...preferences },
      email: address,
      phone,
    };
    await svc.deliver(customersContract.events.CustomerRegistered, data);
    await eventually(
      async () =>
        (await svc.database.db.query('SELECT 1 FROM preferences WHERE customer_id = $1', [id])).rowCount === 1,
    );
    return { id, address, phone };
  }
  const deposit = (customerId: string, amount = '250.00') => ({
    paymentId: randomUUID(),
    accountId: 'acc-1',
    customerId,
    kind: 'deposit' as const,
    method: 'card' as const,
    amount,
  });
  const deliveries = async (customerId: string) =>
    (await svc.callAs(ADMIN)(notificationsContract, 'listDeliveries', { customerId, limit: 200 })).items;
  const byChannel = async (customerId: string) =>
    Object.fromEntries((await deliveries(customerId)).map((d) => [d.channel, d]));
  /** Waits until the customer has `n` deliveries (of the subject, if given), none pending, and returns them by channel. */
  const settled = (customerId: string, n: number, subject?: string) =>
    eventually(async () => {
      const items = (await deliveries(customerId)).filter((d) => subject === undefined || d.subject === subject);
      return items.length === n && items.every((d) => d.status !== 'pending')
        ? Object.fromEntries(items.map((d) => [d.channel, d]))
        : undefined;
    });

  it('sends one email and one SMS per event, even when the event arrives twice or is replayed', async () => {
    const ann = await customer({ email: true, sms: true });
    const id = randomUUID();
    const data = deposit(ann.id, '42.00');
    await svc.deliver(COMPLETED, data, { id });
    await svc.deliver(COMPLETED, data, { id });
    // A replay that the chassis inbox no longer remembers: the notification's key holds.
    await eventually(
      async () => (await svc.database.db.query('DELETE FROM chassis_inbox WHERE message_id = $1', [id])).rowCount === 1,
    );
    await svc.deliver(COMPLETED, data, { id });
    await svc.deliver(COMPLETED, deposit(ann.id, '1.00'));
    await eventually(
      async () =>
        (await deliveries(ann.id)).length === 6 && (await deliveries(ann.id)).every((d) => d.status === 'delivered'),
    );

    const items = await deliveries(ann.id);
    const first = items.filter((d) => d.notificationId === items[items.length - 1]!.notificationId);
    assert.deepEqual(first.map((d) => d.channel).sort(), ['email', 'in_app', 'sms']);
    const mails = email.to(ann.address).delivered;
    assert.deepEqual(
      mails.map((m) => m.subject),
      ['Deposit completed', 'Deposit completed'],
    );
    assert.equal(mails.filter((m) => /42\.00 USD/.test(m.text)).length, 1, 'one email for the 42.00 deposit');
    const sms = first.find((d) => d.channel === 'sms')!;
    assert.equal(sms.to, ann.phone);
    assert.equal(sms.attempts, 1);
    const text = await readFile(join(sinks, 'sms', `${sms.id}.txt`), 'utf8');
    assert.match(text, new RegExp(`^To: \\${ann.phone}\\n`));
    assert.match(text, /Deposit completed\. Your deposit of 42\.00 USD/);
    const files = (await readdir(join(sinks, 'sms'))).filter((f) => items.some((d) => f === `${d.id}.txt`));
    assert.equal(files.length, 2, 'one SMS file per notification');
  });

  it('retries a failing email with back-off while the in-app notification is already there', async () => {
    const bea = await customer({ email: true });
    let release!: () => void;
    email.script(bea.address, { failTimes: 2, gate: new Promise<void>((r) => (release = r)) });
    await svc.deliver(COMPLETED, deposit(bea.id, '77.00'));

    // Two refusals, and the third attempt held: the inbox and the in-app delivery do not wait for it.
    const during = await eventually(async () => {
      const d = await byChannel(bea.id);
      return email.to(bea.address).attempts.length === 3 && d.email ? d : undefined;
    });
    assert.equal(during.in_app!.status, 'delivered');
    assert.equal(during.email!.status, 'pending');
    assert.equal(during.email!.attempts, 3);
    assert.match(during.email!.lastError ?? '', /451/);
    const inbox = await svc.callAs({ customerId: bea.id, role: 'customer' })(
      notificationsContract,
      'listNotifications',
      {},
    );
    assert.deepEqual(
      inbox.items.map((n) => n.title),
      ['Deposit completed'],
    );

    release();
    const done = await settled(bea.id, 2);
    assert.equal(done.email!.status, 'delivered');
    assert.equal(done.email!.attempts, 3);
    assert.equal(done.email!.lastError, undefined);
    assert.equal(email.to(bea.address).delivered.length, 1);
  });

  it('gives up after the most attempts, and at once on a permanent refusal; in-app is delivered either way', async () => {
    const cal = await customer({ email: true });
    const dee = await customer({ email: true });
    email.script(cal.address, { always: true });
    email.script(dee.address, { permanent: true });
    await svc.deliver(COMPLETED, deposit(cal.id));
    await svc.deliver(COMPLETED, deposit(dee.id));
    const c = await settled(cal.id, 2);
    assert.deepEqual([c.email!.status, c.email!.attempts, c.in_app!.status], ['failed', 4, 'delivered']);
    assert.match(c.email!.lastError ?? '', /ECONNREFUSED/);
    const d = await settled(dee.id, 2);
    assert.deepEqual([d.email!.status, d.email!.attempts, d.in_app!.status], ['failed', 1, 'delivered']);
    assert.equal(email.to(dee.address).attempts.length, 1);
  });

  it('respects preferences: no email or SMS for a customer who did not opt in, nor after opting out', async () => {
    const eve = await customer({ email: false, sms: false });
    await svc.deliver(COMPLETED, deposit(eve.id));
    const only = await settled(eve.id, 1);
    assert.deepEqual(Object.keys(only), ['in_app']);

    const fay = await customer({ email: true, sms: true });
    const update = {
      customerId: fay.id,
      name: 'Fay',
      preferences: { email: false, sms: true, push: false },
      email: fay.address,
      phone: null,
    };
    await svc.deliver(customersContract.events.CustomerUpdated, update);
    // Fay is told of the change by the settings she now has: in the app, and by SMS (no number left to send it to).
    const notice = await settled(fay.id, 2, 'Notification settings changed');
    assert.deepEqual([notice.in_app!.status, notice.sms!.status, notice.email], ['delivered', 'failed', undefined]);
    await svc.deliver(COMPLETED, deposit(fay.id));
    const got = await settled(fay.id, 2, 'Deposit completed');
    assert.deepEqual(Object.keys(got).sort(), ['in_app', 'sms']);
    // Opted in to SMS, but the number was removed: nothing to send it to, recorded as failed.
    assert.equal(got.sms!.status, 'failed');
    assert.equal(got.sms!.lastError, 'no phone number on file');
    assert.equal(email.to(fay.address).attempts.length, 0);
  });

  it('lists deliveries by customer and channel, newest first, page by page; customers may not', async () => {
    const gus = await customer({ email: true, sms: true });
    for (const amount of ['1.00', '2.00', '3.00']) await svc.deliver(COMPLETED, deposit(gus.id, amount));
    await settled(gus.id, 9);
    const call = svc.callAs(ADMIN);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await call(notificationsContract, 'listDeliveries', {
        customerId: gus.id,
        channel: 'email',
        limit: 2,
        ...(cursor ? { cursor } : {}),
      });
      seen.push(...page.items.map((d) => `${d.channel}:${d.to}`));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    assert.deepEqual(seen, Array(3).fill(`email:${gus.address}`));
    await assert.rejects(
      svc.callAs({ customerId: gus.id, role: 'customer' })(notificationsContract, 'listDeliveries', {}),
      (e: { status?: number }) => e.status === 403,
    );
    await assert.rejects(
      call(notificationsContract, 'listDeliveries', { cursor: 'bm90LWEtY3Vyc29y' }),
      (e: { status?: number }) => e.status === 400,
    );
  });
});
