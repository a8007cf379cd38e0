/**
 * notifications' settings: where email goes (an SMTP server, or a file sink), where the file sinks
 * are, and how deliveries are retried. Checked at start with every other setting.
 */
import { join, resolve } from 'node:path';
import { defineSettings, env } from '@simplebank/chassis';

export const notificationsSettings = defineSettings({
  /**
   * Email through this SMTP server (`smtp://user:pass@host:587`, `smtps://…:465`); unset: email is
   * written to the file sink. Secret: it may hold a password, so a bad one is named, not echoed.
   */
  SMTP_URL: env.url({ optional: true, protocols: ['smtp', 'smtps'], secret: true }),
  /** The From of every email. */
  SMTP_FROM: env.string({ default: 'SimpleBank <no-reply@simplebank.local>' }),
  /** SimpleBank's data folder: the file sinks default to `notifications/` under it. */
  SIMPLEBANK_DATA_DIR: env.string({ default: './.simplebank' }),
  /** Where the file sinks write (`email/<delivery id>.eml`, `sms/<delivery id>.txt`); default SIMPLEBANK_DATA_DIR/notifications. */
  NOTIFICATIONS_SINK_DIR: env.string({ optional: true }),
  /** A channel's delivery is given up (status failed) after this many attempts. */
  NOTIFICATIONS_MAX_ATTEMPTS: env.integer({ default: 8, min: 1, max: 100 }),
  /** Back-off between attempts: full jitter under base × 2^(attempt-1), capped. */
  NOTIFICATIONS_RETRY_BASE_MS: env.integer({ default: 1000, min: 1 }),
  NOTIFICATIONS_RETRY_MAX_MS: env.integer({ default: 300_000, min: 1 }),
  /** One SMTP attempt (connection, greeting, socket) may take this long before it counts as failed. */
  SMTP_TIMEOUT_MS: env.integer({ default: 10_000, min: 100 }),
});

/** The folder the file sinks write under. */
export function sinkDir(): string {
  const s = notificationsSettings.value;
  return resolve(s.NOTIFICATIONS_SINK_DIR ?? join(s.SIMPLEBANK_DATA_DIR, 'notifications'));
}
