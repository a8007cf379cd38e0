/**
 * Notification channels through the public API: a customer chooses email and SMS (PATCH /v1/me),
 * and the admin's delivery records (GET /v1/admin/deliveries) show one delivery per channel,
 * delivered; a new strategy is emailed to customers who opted in, and to nobody else. The system
 * under test writes email and SMS to its file sinks (no SMTP_URL): the records are what we check.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, it } from 'node:test';
import {
  eventually,
  expectProblem,
  expectStatus,
  show,
  useSystem,
  WAIT_MS,
  type Customer,
  type Res,
} from './system.ts';

const sys = useSystem();

interface Delivery {
  id: string;
  notificationId: string;
  customerId: string;
  channel: 'in_app' | 'email' | 'sms';
  to: string | null;
  subject: string;
  status: 'delivered' | 'failed' | 'pending';
  attempts: number;
  at: string;
}

describe('notification channels', () => {
  let admin: Customer;
  before(async () => {
    admin = await sys.bank.adminLogin();
  });

  /** Every delivery of the customer (optionally of one channel), following nextCursor. */
  async function deliveries(customerId: string, channel?: string): Promise<Delivery[]> {
    const items: Delivery[] = [];
    let cursor: string | null = null;
    do {
      const res: Res = await admin.http.get(
        `/v1/admin/deliveries?customerId=${customerId}&limit=2${channel ? `&channel=${channel}` : ''}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expectStatus(res, 200, 'deliveries');
      items.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    return items;
  }

  const SETTINGS = 'Notification settings changed';
  const DEPOSITED = 'Deposit completed';
  const bySubject = (d: Delivery[], subject: string) => d.filter((x) => x.subject === subject);

  /** Waits until `check` holds of the customer's deliveries, and returns them. */
  async function waitForDeliveries(
    customerId: string,
    check: (d: Delivery[]) => boolean,
    what: string,
  ): Promise<Delivery[]> {
    let last: Delivery[] = [];
    try {
      return await eventually(async () => ((last = await deliveries(customerId)), check(last) ? last : undefined), {
        timeoutMs: WAIT_MS,
        intervalMs: 100,
        message: what,
      });
    } catch (err) {
      throw new Error(`${(err as Error).message}; last seen: ${JSON.stringify(last)}`);
    }
  }

  it('a customer who chose email and SMS gets a deposit notification in-app, by email and by SMS, each delivered once', async () => {
    const customer = await sys.bank.signUp('Channel Customer');
    const phone = `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
    const patched = await customer.http.patch('/v1/me', { phone, preferences: { email: true, sms: true } });
    expectStatus(patched, 200, 'choose channels');
    assert.deepEqual([patched.body.preferences, patched.body.phone], [{ email: true, sms: true, push: false }, phone]);
    const me = await customer.http.get('/v1/me');
    assert.deepEqual([me.body.preferences, me.body.phone], [{ email: true, sms: true, push: false }, phone], show(me));

    // notifications hears of the change by an event: its notice, sent by the new settings, shows it has them.
    const notice = await waitForDeliveries(
      customer.id,
      (d) => bySubject(d, SETTINGS).length === 3 && d.every((x) => x.status === 'delivered'),
      'the notice of the change, on all three channels',
    );
    assert.deepEqual(
      bySubject(notice, SETTINGS)
        .map((d) => d.channel)
        .sort(),
      ['email', 'in_app', 'sms'],
    );
    const told = (await sys.bank.notifications(customer)).find((n) => n.kind === 'settings_changed');
    assert.match(
      told?.body ?? '',
      /^Your phone number was changed\. Notifications now reach you in the app, by e-mail and by SMS\./,
    );
    assert.ok(!told!.body.includes(phone), 'the notice does not repeat the number');

    const account = await sys.bank.openAccount(customer);
    await sys.bank.deposit(customer, account.id, '150.00');
    const all = await waitForDeliveries(
      customer.id,
      (d) => bySubject(d, DEPOSITED).length === 3 && d.every((x) => x.status === 'delivered'),
      'in_app, email and sms delivered',
    );
    const items = bySubject(all, DEPOSITED);

    const byChannel = Object.fromEntries(items.map((d) => [d.channel, d]));
    assert.deepEqual(Object.keys(byChannel).sort(), ['email', 'in_app', 'sms']);
    assert.equal(new Set(items.map((d) => d.notificationId)).size, 1, 'one notification, three channels');
    assert.equal(byChannel.email!.to, customer.email);
    assert.equal(byChannel.sms!.to, phone);
    assert.equal(byChannel.in_app!.to, customer.id);
    for (const d of items) {
      assert.equal(d.customerId, customer.id);
      assert.equal(d.subject, 'Deposit completed');
      assert.ok(d.attempts >= 1, JSON.stringify(d));
      assert.ok(!Number.isNaN(Date.parse(d.at)), JSON.stringify(d));
    }
    const inbox = await sys.bank.notifications(customer);
    assert.equal(inbox.find((n) => n.kind === 'deposit_completed')?.id, byChannel.in_app!.notificationId);
    assert.deepEqual(
      bySubject(await deliveries(customer.id, 'sms'), DEPOSITED).map((d) => d.id),
      [byChannel.sms!.id],
      'filtered by channel',
    );
    assert.ok(
      (await deliveries(customer.id, 'sms')).every((d) => d.channel === 'sms'),
      'filtered by channel',
    );
  });

  it('a new strategy is emailed as "New strategy: <name>" to a customer who opted in to email, not to one who opted out', async () => {
    const quiet = await sys.bank.signUp('Quiet Investor');
    // The fan-out goes through customers in id order: once keen (after quiet) has it, quiet's turn is past.
    let keen = await sys.bank.signUp('Keen Investor');
    while (keen.id < quiet.id) keen = await sys.bank.signUp('Keen Investor');
    expectStatus(await keen.http.patch('/v1/me', { preferences: { email: true } }), 200, 'keen opts in');
    expectStatus(await quiet.http.patch('/v1/me', { preferences: { email: false } }), 200, 'quiet opts out');
    // Keen's e-mail was on already (nothing changed, no notice); quiet's notice shows notifications has the opt-out.
    const noticed = await waitForDeliveries(
      quiet.id,
      (d) => bySubject(d, SETTINGS).length === 1,
      'quiet told of the opt-out',
    );
    assert.deepEqual(
      bySubject(noticed, SETTINGS).map((d) => d.channel),
      ['in_app'],
      'told in the app only: e-mail is off now',
    );
    for (const c of [keen, quiet]) await sys.bank.deposit(c, (await sys.bank.openAccount(c)).id, '10.00');
    await waitForDeliveries(
      keen.id,
      (d) => d.some((x) => x.channel === 'email' && x.subject === DEPOSITED && x.status === 'delivered'),
      'keen emailed about the deposit',
    );
    await waitForDeliveries(
      quiet.id,
      (d) => bySubject(d, DEPOSITED).length === 1 && bySubject(d, DEPOSITED)[0]!.channel === 'in_app',
      'quiet: in-app only',
    );
    assert.ok(!(await deliveries(keen.id)).some((d) => d.subject === SETTINGS), 'no notice when nothing changed');

    const name = `E2E Channels ${randomUUID().slice(0, 8)}`;
    const created = await admin.http.post('/v1/admin/strategies', {
      name,
      assets: [
        { assetId: 'AAPL', percentage: '50' },
        { assetId: 'MSFT', percentage: '50' },
      ],
    });
    expectStatus(created, 201, 'create strategy');

    const subject = `New strategy: ${name}`;
    const mails = await waitForDeliveries(
      keen.id,
      (d) => d.some((x) => x.subject === subject && x.channel === 'email' && x.status === 'delivered'),
      `keen emailed "${subject}"`,
    );
    const email = mails.filter((x) => x.subject === subject && x.channel === 'email');
    assert.equal(email.length, 1, 'one email');
    assert.equal(email[0]!.to, keen.email);
    assert.ok((await sys.bank.notifications(keen)).some((n) => n.kind === 'strategy_created' && n.title === subject));

    assert.ok(
      !(await deliveries(quiet.id)).some((d) => d.subject === subject),
      'no announcement for a customer who opted out',
    );
    assert.ok(!(await sys.bank.notifications(quiet)).some((n) => n.title === subject));
  });

  it('deliveries are for admins only; bad filters, cursors and phone numbers are 400s', async () => {
    const customer = await sys.bank.signUp('Curious Customer');
    expectProblem(
      await customer.http.get(`/v1/admin/deliveries?customerId=${customer.id}`),
      403,
      'forbidden',
      'a customer, even for their own',
    );
    expectProblem(await customer.http.get('/v1/admin/deliveries', { token: null }), 401, 'unauthorized', 'no token');
    expectProblem(
      await admin.http.get('/v1/admin/deliveries?channel=pigeon'),
      400,
      'validation_failed',
      'unknown channel',
    );
    expectProblem(
      await admin.http.get('/v1/admin/deliveries?cursor=bm90LWEtY3Vyc29y'),
      400,
      'validation_failed',
      'foreign cursor',
    );
    const badPhone = await customer.http.patch('/v1/me', { phone: '555-0100' });
    expectProblem(badPhone, 400, 'validation_failed', 'a phone number not in E.164');
    assert.ok(
      badPhone.body.errors.some((e: { path: string }) => /phone/.test(e.path)),
      show(badPhone),
    );
  });
});
