/**
 * The email channel: a real SMTP client (nodemailer) when SMTP_URL is set, else a file sink that
 * writes each message, as the SMTP client would have sent it (RFC 5322 text), to
 * `<sink>/email/<delivery id>.eml`.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { ChannelError, type Channel, type OutgoingMessage } from './channel.ts';

/** A nodemailer failure as a ChannelError: a 5xx answer to the message or a recipient is permanent. */
function refusal(err: unknown): Error {
  const e = err as { responseCode?: number; command?: string; code?: string; message?: string };
  // A 5xx to AUTH is our credentials, not the recipient: the operator fixes SMTP_URL and the delivery waits.
  const permanent =
    typeof e.responseCode === 'number' &&
    e.responseCode >= 500 &&
    e.command !== 'AUTH' &&
    e.command !== 'AUTH PLAIN' &&
    e.command !== 'AUTH LOGIN';
  const what = e.responseCode ? `SMTP ${e.responseCode}${e.command ? ` to ${e.command}` : ''}` : (e.code ?? 'error');
  return new ChannelError(`${what}: ${e.message ?? String(err)}`.slice(0, 500), permanent);
}

const mail = (from: string, m: OutgoingMessage) => ({
  from,
  to: m.to,
  subject: m.subject,
  text: m.text,
  messageId: `<${m.deliveryId}@simplebank.local>`,
});

export function smtpEmail(url: string, from: string, timeoutMs: number): Channel {
  const transport = nodemailer.createTransport({
    url,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  return {
    name: 'email',
    describe: `SMTP ${new URL(url).host}`,
    async deliver(m) {
      try {
        await transport.sendMail(mail(from, m));
      } catch (err) {
        throw refusal(err);
      }
    },
    async close() {
      transport.close();
    },
  };
}

export function fileEmail(dir: string, from: string): Channel {
  const folder = join(dir, 'email');
  // Builds the message text exactly as it would go over SMTP, without sending it anywhere.
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    name: 'email',
    describe: `file sink ${folder}`,
    async deliver(m) {
      const info = await composer.sendMail(mail(from, m));
      await mkdir(folder, { recursive: true });
      // Written whole, then renamed: a reader never sees half a message.
      const file = join(folder, `${m.deliveryId}.eml`);
      await writeFile(`${file}.tmp`, info.message as Buffer);
      await rename(`${file}.tmp`, file);
    },
  };
}
