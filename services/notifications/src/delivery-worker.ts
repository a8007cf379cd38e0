/**
 * The delivery worker: sends pending email and SMS deliveries through their channels, after the
 * notification committed and outside any transaction (decision 8), and writes announcements to
 * customers page by page. It sleeps until the next delivery is due and is woken at once when a
 * handler of this process commits new work; the fallback poll (work of another instance, a wake lost
 * to a crash) starts at IDLE.baseMs and doubles while there is nothing to do, up to IDLE.capMs.
 */
import { backoffDelay, type BaseContext, type Worker } from '@simplebank/chassis';
import { PAGE_SIZE, announceNextPage, openAnnouncement } from './announcements.ts';
import { ChannelError, type Channels } from './channels/channel.ts';
import {
  claimDue,
  markDelivered,
  markFailed,
  nextDueInMs,
  scheduleRetry,
  type ClaimedDelivery,
} from './delivery-store.ts';
import { emailText, smsText } from './domain/channels.ts';
import { notificationsSettings } from './settings.ts';

const BATCH = 16;
/** Deliveries sent at once within a batch (each waits on its channel). */
const CONCURRENCY = 4;
/** Announcement pages per round, so that deliveries are sent between pages of a long fan-out. */
const PAGES_PER_ROUND = 5;
const IDLE = { baseMs: 100, capMs: 10_000 };

/** Wakes of the running workers of this process (after a handler's commit). */
const wakers = new Set<(announcement: boolean) => void>();

/**
 * Wakes this process's workers for new deliveries; with `announcement`, for a new announcement too.
 * A wake for deliveries only skips the announcements' query (the fallback poll still makes it).
 */
export function wakeDeliveries(announcement = false): void {
  for (const wake of wakers) wake(announcement);
}

export interface Policy {
  maxAttempts: number;
  retry: { baseMs: number; capMs: number };
  /** How long a claimed delivery is not due again: longer than any one attempt takes. */
  leaseMs: number;
}

export function policyFromSettings(): Policy {
  const s = notificationsSettings.value;
  return {
    maxAttempts: s.NOTIFICATIONS_MAX_ATTEMPTS,
    retry: {
      baseMs: s.NOTIFICATIONS_RETRY_BASE_MS,
      capMs: Math.max(s.NOTIFICATIONS_RETRY_BASE_MS, s.NOTIFICATIONS_RETRY_MAX_MS),
    },
    leaseMs: Math.max(60_000, 6 * s.SMTP_TIMEOUT_MS),
  };
}

type Outcome = 'delivered' | 'retry' | 'failed';

/**
 * One attempt of one delivery, and its outcome recorded: a retry or a failure at once, a delivery
 * with the round's others (runRound). Never logs the address.
 */
async function attempt(ctx: BaseContext, channels: Channels, policy: Policy, d: ClaimedDelivery): Promise<Outcome> {
  const channel = channels[d.channel];
  const text = d.channel === 'email' ? emailText(d) : smsText(d);
  const where = { deliveryId: d.id, notificationId: d.notificationId, channel: d.channel, attempts: d.attempts };
  try {
    await channel.deliver({ deliveryId: d.id, to: d.recipient, subject: d.title, text });
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).slice(0, 500);
    if ((err instanceof ChannelError && err.permanent) || d.attempts >= policy.maxAttempts) {
      await markFailed(ctx.db, d.id, reason);
      ctx.log.warn({ ...where, reason }, 'delivery failed: given up');
      return 'failed';
    }
    const delayMs = Math.max(1, backoffDelay(d.attempts, policy.retry));
    await scheduleRetry(ctx.db, d.id, d.attempts, delayMs, reason);
    ctx.log.info({ ...where, reason, retryInMs: delayMs }, 'delivery attempt failed: tried again later');
    return 'retry';
  }
  ctx.log.info(where, 'delivered');
  return 'delivered';
}

export interface Round {
  worked: number;
  /** ms until more work is due: 0 now; undefined when nothing is pending. */
  nextDueInMs: number | undefined;
  /** An announcement was being written: the next round goes on with it. */
  announcing: boolean;
}

/** One round: a few pages of the oldest open announcement, then every due delivery up to a batch. */
export async function runRound(
  ctx: BaseContext,
  channels: Channels,
  policy: Policy,
  count: (channel: string, outcome: Outcome) => void,
  pageSize = PAGE_SIZE,
  announcements = true,
): Promise<Round> {
  let worked = 0;
  let announcing = false;
  const eventId = announcements ? await openAnnouncement(ctx.db) : undefined;
  for (let i = 0; eventId && i < PAGES_PER_ROUND; i++) {
    const n = await announceNextPage(ctx.db, eventId, pageSize);
    if (n === undefined) break;
    worked += n;
    announcing = true;
  }
  const { claimed: due, nextDueInMs: dueAfterClaim } = await claimDue(ctx.db, BATCH, policy.leaseMs);
  let retried = false;
  // Marked delivered together, one statement a round: a crash before it sends them again (at least
  // once, as a crash between a send and its mark always could).
  const delivered: string[] = [];
  for (let i = 0; i < due.length; i += CONCURRENCY) {
    await Promise.all(
      due.slice(i, i + CONCURRENCY).map(async (d) => {
        const outcome = await attempt(ctx, channels, policy, d);
        if (outcome === 'retry') retried = true;
        if (outcome === 'delivered') delivered.push(d.id);
        count(d.channel, outcome);
      }),
    );
  }
  await markDelivered(ctx.db, delivered);
  worked += due.length;
  // The claim said when the others are due; an attempt tried again later is due again too, so then ask.
  const next = announcing || due.length === BATCH ? 0 : retried ? await nextDueInMs(ctx.db) : dueAfterClaim;
  return { worked, nextDueInMs: next, announcing };
}

export function deliveryWorker(makeChannels: () => Channels, pageSize = PAGE_SIZE): Worker {
  return {
    name: 'channel-deliveries',
    start(ctx) {
      const channels = makeChannels();
      const policy = policyFromSettings();
      ctx.log.info({ email: channels.email.describe, sms: channels.sms.describe }, 'notification channels');
      const counter = ctx.metrics.counter(
        'simplebank_notification_deliveries_total',
        'Email and SMS delivery attempts, by channel and outcome (delivered, retry, failed)',
        ['service', 'channel', 'outcome'],
      );
      const count = (channel: string, outcome: Outcome) => counter.inc({ service: ctx.service, channel, outcome });
      let stopped = false;
      // A wake during a round is kept: the round may have read the queue before the new rows committed.
      let woken = false;
      let wakeUp: (() => void) | undefined;
      let idleMs = IDLE.baseMs;
      // The first round, a fallback poll and a wake for an announcement look for announcements.
      let announcements = true;
      const wake = (announcement: boolean) => {
        woken = true;
        if (announcement) announcements = true;
        idleMs = IDLE.baseMs;
        wakeUp?.();
      };
      wakers.add(wake);
      const loop = async () => {
        while (!stopped) {
          woken = false;
          let sleepMs: number;
          try {
            const round = await runRound(ctx, channels, policy, count, pageSize, announcements);
            announcements = round.announcing;
            idleMs = round.worked > 0 ? IDLE.baseMs : Math.min(idleMs * 2, IDLE.capMs);
            sleepMs = Math.min(round.nextDueInMs ?? Infinity, idleMs);
          } catch (err) {
            ctx.log.warn({ err }, 'delivery round failed; the next round retries');
            idleMs = Math.min(idleMs * 2, IDLE.capMs);
            sleepMs = idleMs;
          }
          if (stopped || woken || sleepMs <= 0) continue;
          let timer: NodeJS.Timeout | undefined;
          await new Promise<void>((resolve) => {
            wakeUp = resolve;
            timer = setTimeout(resolve, sleepMs);
          });
          wakeUp = undefined;
          clearTimeout(timer);
          if (!woken) announcements = true;
        }
      };
      const running = loop();
      return async () => {
        stopped = true;
        wakers.delete(wake);
        wakeUp?.();
        await running;
        await Promise.allSettled([channels.email.close?.(), channels.sms.close?.()]);
      };
    },
  };
}
