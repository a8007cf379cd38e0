/**
 * The exchange worker: runs the placement jobs' turns (jobs.ts) as they come due. It does not poll
 * at a fixed pace: after each round it sleeps until the next job is due, and is woken at once by a
 * command or an exchange callback (wake.ts). The fallback poll — for jobs another instance was
 * woken for and left, or a wake lost to a crash — starts at IDLE.baseMs and doubles while there is
 * nothing to do, up to IDLE.capMs.
 */
import {
  DEFAULT_BULKHEAD_SETTINGS,
  callPolicy,
  type BaseContext,
  type CallPolicy,
  type TargetOverrides,
  type Worker,
} from '@simplebank/chassis';
import { exchangeApiKey } from '@simplebank/exchange/contract';
import { ExchangeClient } from './exchange-client.ts';
import { handleJob, type Deps } from './jobs.ts';
import { marketSettings } from './settings.ts';
import { claimDue } from './store.ts';
import { onWake } from './wake.ts';

const BATCH = 8;
const IDLE = { baseMs: 100, capMs: 10_000 };

export interface Round {
  /** Jobs that were due (and handled, or tried). */
  due: number;
  /** When the next job comes due (ms from now): 0 when more are due already; undefined when none has work left. */
  nextDueInMs: number | undefined;
}

/** One round: claims every due job (up to a batch) and takes their turns concurrently; and when the next one is due. */
export async function runRound(ctx: BaseContext, deps: Deps): Promise<Round> {
  const { claimed, nextDueInMs } = await claimDue(ctx.db, BATCH, deps.claimMs);
  await Promise.all(
    claimed.map((job) =>
      handleJob(ctx, job, deps).catch((err: unknown) =>
        ctx.log.warn({ err, orderId: job.order_id }, 'exchange job failed; taken again once its claim runs out'),
      ),
    ),
  );
  // A full batch may have left more due: look again at once. The jobs just handled are due again
  // when their turns said; the next round's claim finds them.
  return { due: claimed.length, nextDueInMs: claimed.length === BATCH ? 0 : nextDueInMs };
}

/**
 * The policy of calls to the exchange (HTTP): the same pipeline as every RPC call (the chassis's
 * `callPolicy`), its row of the dependency table made from market's settings. Its breaker is
 * critical: market has nothing to do without the exchange.
 */
export function exchangePolicy(ctx: Pick<BaseContext, 'service' | 'metrics'>): CallPolicy {
  const s = marketSettings.value;
  const exchange: TargetOverrides = {
    timeoutMs: s.EXCHANGE_TIMEOUT_MS,
    maxAttempts: s.EXCHANGE_MAX_ATTEMPTS,
    backoff: { baseMs: 50, capMs: 500 },
    breaker: {
      failureRate: s.EXCHANGE_BREAKER_FAILURE_PERCENT / 100,
      windowMs: s.EXCHANGE_BREAKER_WINDOW_MS,
      minimumCalls: s.EXCHANGE_BREAKER_MIN_CALLS,
      halfOpenAfterMs: s.EXCHANGE_BREAKER_HALF_OPEN_MS,
      maxHalfOpenAfterMs: s.EXCHANGE_BREAKER_MAX_HALF_OPEN_MS,
      critical: true,
      forceOpen: s.EXCHANGE_BREAKER_FORCE_OPEN,
    },
    bulkhead: DEFAULT_BULKHEAD_SETTINGS,
  };
  return callPolicy(ctx.service, 'exchange', { exchange }, ctx.metrics);
}

export const exchangeWorker: Worker = {
  name: 'exchange-jobs',
  start(ctx) {
    const s = marketSettings.value;
    const deps: Deps = {
      client: new ExchangeClient(
        () => (s.EXCHANGE_URL ?? `${ctx.httpAddress()}/exchange`).replace(/\/$/, ''),
        exchangePolicy(ctx),
        exchangeApiKey(s.EXCHANGE_API_KEY),
      ),
      // Past the worst case of one turn's calls (every attempt timing out), with room to spare.
      claimMs: Math.max(10_000, 3 * s.EXCHANGE_TIMEOUT_MS * s.EXCHANGE_MAX_ATTEMPTS + 1000),
      pollMs: s.EXCHANGE_POLL_MS,
      pollMaxMs: Math.max(s.EXCHANGE_POLL_MS, s.EXCHANGE_POLL_MAX_MS),
      mismatches: ctx.metrics.counter(
        'simplebank_market_exchange_mismatches_total',
        'Orders the exchange reported that are not the ones market placed (placement or fill refused; needs an operator)',
        ['service', 'stage'],
      ),
    };
    let stopped = false;
    // A wake during a round is kept: the round may have read the queue before the job changed.
    let woken = false;
    let wakeUp: (() => void) | undefined;
    let idleMs = IDLE.baseMs;
    const unsubscribe = onWake(() => {
      woken = true;
      idleMs = IDLE.baseMs;
      wakeUp?.();
    });
    const loop = async () => {
      while (!stopped) {
        woken = false;
        let sleepMs = idleMs;
        try {
          const round = await runRound(ctx, deps);
          if (round.due > 0) idleMs = IDLE.baseMs;
          else idleMs = Math.min(idleMs * 2, IDLE.capMs);
          sleepMs = Math.min(round.nextDueInMs ?? Infinity, idleMs);
        } catch (err) {
          ctx.log.warn({ err }, 'exchange round failed');
          idleMs = Math.min(idleMs * 2, IDLE.capMs);
          sleepMs = idleMs;
        }
        if (stopped || woken) continue;
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          wakeUp = resolve;
          timer = setTimeout(resolve, sleepMs);
        });
        wakeUp = undefined;
        clearTimeout(timer);
      }
    };
    const running = loop();
    return async () => {
      stopped = true;
      unsubscribe();
      wakeUp?.();
      await running;
    };
  },
};
