/**
 * Email over real SMTP: a local SMTP server (smtp-server, on 127.0.0.1, an ephemeral port) receives
 * what the service sends when SMTP_URL names it — recipient, subject and body — and the adapter
 * tells a temporary refusal (retried) from a permanent one (given up). Also: a bad SMTP_URL stops
 * the start with a message naming it, without echoing it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadAll } from '@simplebank/chassis';
import { eventually, startTestService, type TestService } from '@simplebank/chassis/testing';
import { customersContract } from '@simplebank/customers/contract';
import { paymentsContract } from '@simplebank/payments/contract';
import { SMTPServer } from 'smtp-server';
import { ChannelError } from '../src/channels/channel.ts';
import { smtpEmail } from '../src/channels/email.ts';
import { notificationsContract } from '../src/contract.ts';
import { createNotificationsService } from '../src/service.ts';
import { notificationsSettings } from '../src/settings.ts';

interface Received {
  from: string | undefined;
  to: string[];
  raw: string;
}

/** An SMTP server that keeps what it receives and refuses recipients as told (by local part). */
async function startSmtp(): Promise<{ url: string; received: Received[]; stop(): Promise<void> }> {
  const received: Received[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      const refuse = (code: number, text: string) => callback(Object.assign(new Error(text), { responseCode: code }));
      if (address.address.startsWith('gone')) return refuse(550, 'No such mailbox');
      if (address.address.startsWith('busy')) return refuse(451, 'Try again later');
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The text body of a single-part message, quoted-printable decoded. */
function bodyOf(raw: string): string {
  const at = raw.indexOf('\r\n\r\n');
  const headers = raw.slice(0, at);
  const body = raw.slice(at + 4);
  if (!/^Content-Transfer-Encoding: quoted-printable$/im.test(headers)) return body;
  return Buffer.from(
    body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
    'latin1',
  ).toString('utf8');
}

describe('email over SMTP', () => {
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  before(async () => {
    smtp = await startSmtp();
  });
  after(async () => {
    await smtp.stop();
  });

  it('the service emails an opted-in customer through SMTP_URL: the message arrives with recipient, subject and body', async () => {
    notificationsSettings.load({ SMTP_URL: smtp.url, SMTP_FROM: 'SimpleBank <bank@simplebank.test>' });
    let svc: TestService | undefined;
    try {
      svc = await startTestService(createNotificationsService());
      const customerId = `c-${randomUUID()}`;
      const address = `ada-${randomUUID()}@example.test`;
      await svc.deliver(customersContract.events.CustomerRegistered.type, {
        customerId,
        name: 'Ada',
        role: 'customer',
        preferences: { email: true, sms: false, push: false },
        email: address,
        phone: null,
      });
      await eventually(
        async () =>
          (await svc!.database.db.query('SELECT 1 FROM preferences WHERE customer_id = $1', [customerId])).rowCount ===
          1,
      );
      await svc.deliver(paymentsContract.events.PaymentCompleted.type, {
        paymentId: randomUUID(),
        accountId: 'acc-1',
        customerId,
        kind: 'deposit',
        method: 'bank_transfer',
        amount: '1234.50',
      });

      const mail = await eventually(() => smtp.received.find((m) => m.to.includes(address)));
      assert.deepEqual(mail.to, [address]);
      assert.equal(mail.from, 'bank@simplebank.test');
      assert.match(mail.raw, /^Subject: Deposit completed$/m);
      assert.match(mail.raw, new RegExp(`^To: ${address.replace(/[.]/g, '\\.')}$`, 'm'));
      assert.equal(
        bodyOf(mail.raw),
        'Your deposit of 1234.50 USD by bank transfer is now available in your account.\r\n\r\n-- \r\nSimpleBank. You receive this because e-mail notifications are on in your profile; turn them off there (preferences.email).\r\n',
      );
      const deliveries = await eventually(async () => {
        const page = await svc!.callAs({ customerId: 'admin-1', role: 'admin' })(
          notificationsContract,
          'listDeliveries',
          { customerId, channel: 'email' },
        );
        return page.items[0]?.status === 'delivered' ? page.items : undefined;
      });
      assert.deepEqual(
        deliveries.map((d) => [d.to, d.subject, d.attempts]),
        [[address, 'Deposit completed', 1]],
      );
      assert.equal(smtp.received.filter((m) => m.to.includes(address)).length, 1);
    } finally {
      await svc?.stop();
      notificationsSettings.load({});
    }
  });

  it('a 4xx refusal is temporary (retried), a 5xx one permanent (given up)', async () => {
    const channel = smtpEmail(smtp.url, 'bank@simplebank.test', 5000);
    try {
      const message = (to: string) => ({ deliveryId: randomUUID(), to, subject: 'Hello', text: 'Hi' });
      await assert.rejects(
        channel.deliver(message('busy@example.test')),
        (e: unknown) => e instanceof ChannelError && !e.permanent && /451/.test(e.message),
      );
      await assert.rejects(
        channel.deliver(message('gone@example.test')),
        (e: unknown) => e instanceof ChannelError && e.permanent && /550/.test(e.message),
      );
      await channel.deliver(message('fine@example.test'));
      assert.ok(smtp.received.some((m) => m.to.includes('fine@example.test')));
    } finally {
      await channel.close?.();
    }
  });

  it('refuses to start with a bad SMTP_URL, naming it without echoing the value', () => {
    for (const bad of ['not a url', 'http://user:secret@mail.example.test']) {
      assert.throws(
        () => loadAll([notificationsSettings], { SMTP_URL: bad }),
        (e: unknown) =>
          e instanceof ConfigError &&
          e.problems.some((p) => p.startsWith('SMTP_URL ')) &&
          !e.message.includes('secret') &&
          !e.message.includes('not a url'),
      );
    }
    assert.throws(
      () => loadAll([notificationsSettings], { NOTIFICATIONS_MAX_ATTEMPTS: '0' }),
      (e: unknown) => e instanceof ConfigError && /NOTIFICATIONS_MAX_ATTEMPTS must be at least 1/.test(e.message),
    );
    notificationsSettings.load({});
  });
});
