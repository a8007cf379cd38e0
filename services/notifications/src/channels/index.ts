/** The channels the settings ask for: email over SMTP_URL or to the file sink; SMS to the file sink. */
import { notificationsSettings, sinkDir } from '../settings.ts';
import type { Channels } from './channel.ts';
import { fileEmail, smtpEmail } from './email.ts';
import { fileSms } from './sms.ts';

export * from './channel.ts';

export function channelsFromSettings(): Channels {
  const s = notificationsSettings.value;
  const dir = sinkDir();
  return {
    email: s.SMTP_URL ? smtpEmail(s.SMTP_URL, s.SMTP_FROM, s.SMTP_TIMEOUT_MS) : fileEmail(dir, s.SMTP_FROM),
    sms: fileSms(dir),
  };
}
