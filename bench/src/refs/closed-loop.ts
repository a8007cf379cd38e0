/**
 * Closed-loop measuring for the references: `concurrency` callers, each starting its next call when
 * the previous one answered, for `durationMs`. The right shape for a floor ("how much can this do
 * with N in flight"), unlike the open-loop load on SimpleBank itself.
 */
import { performance } from 'node:perf_hooks';
import { Latency, round, type LatencySummary } from '../hist.ts';

export interface LoopResult {
  concurrency: number;
  seconds: number;
  calls: number;
  errors: number;
  perSec: number;
  latency: LatencySummary;
}

export async function closedLoop(
  concurrency: number,
  durationMs: number,
  call: () => Promise<unknown>,
): Promise<LoopResult> {
  const latency = new Latency();
  let calls = 0;
  let errors = 0;
  const started = performance.now();
  const until = started + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        const t = performance.now();
        try {
          await call();
          latency.record(performance.now() - t);
          calls++;
        } catch {
          errors++;
          // An error that comes back at once must not spin: pause a little.
          await new Promise((r) => setTimeout(r, 10));
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    concurrency,
    seconds: round(seconds),
    calls,
    errors,
    perSec: round(calls / seconds),
    latency: latency.summary(),
  };
}

/**
 * For each of `inFlight` (e.g. [50, 1]): a short warm-up (JIT, connections, broker queues), then the
 * measured loop. Keyed `inFlight50`, `inFlight1`.
 */
export async function closedLoops(
  inFlight: number[],
  durationMs: number,
  call: () => Promise<unknown>,
): Promise<Record<string, LoopResult>> {
  const out: Record<string, LoopResult> = {};
  for (const n of inFlight) {
    await closedLoop(n, Math.min(1_000, durationMs / 4), call);
    out[`inFlight${n}`] = await closedLoop(n, durationMs, call);
  }
  return out;
}

/** "50,1" → [50, 1] */
export function counts(list: string): number[] {
  return list
    .split(',')
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
}

/** The 160-byte body every RPC and event reference sends (the size of a small envelope's data). */
export const PAYLOAD = JSON.stringify({ kind: 'bench', data: 'x'.repeat(160 - 26) });

/** A reference program's result: one JSON line on stdout, prefixed so the driver can find it. */
export function emit(result: unknown): void {
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

export function ready(detail = ''): void {
  process.stdout.write(`READY ${detail}\n`);
}
