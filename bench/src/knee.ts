/**
 * The knee: the highest offered rate at which SimpleBank keeps up — filled/s ≥ 0.95 × offered and
 * order → filled p99 within the bound. Found by stepping up a ladder (10, 20, 40, … by default) until
 * a step fails, then bisecting between the last rate that passed and the first that failed.
 */
import type { StepResult } from './load.ts';

export interface KneeSearch {
  /** The highest passing rate, or the lowest rate tried when none passed (then `found` is false). */
  rate: number;
  found: boolean;
  /** True when the top of the ladder passed: the knee is at least this. */
  capped: boolean;
  steps: StepResult[];
}

export async function searchKnee(
  step: (rate: number, label: string) => Promise<StepResult>,
  o: { rates: number[]; bisections: number; log: (line: string) => void },
): Promise<KneeSearch> {
  const steps: StepResult[] = [];
  const tryRate = async (rate: number): Promise<boolean> => {
    const r = await step(rate, `search-${steps.length + 1}`);
    steps.push(r);
    o.log(
      `  ${rate}/s: filled ${r.filledPerSec}/s, accept p99 ${r.accept.p99 ?? '–'} ms, order→filled p99 ${r.orderToFilled.p99 ?? '–'} ms, ` +
        `pending after drain ${r.pendingAfterDrain}, sender late p99 ${r.senderLateness.p99 ?? '–'} ms → ${r.passed ? 'pass' : 'fail'}`,
    );
    return r.passed;
  };
  let pass = 0;
  let fail = 0;
  for (const rate of o.rates) {
    if (await tryRate(rate)) pass = rate;
    else {
      fail = rate;
      break;
    }
  }
  // Nothing passed: halve below the first rate, a few times.
  if (pass === 0) {
    for (let rate = fail / 2, n = 0; n < 3 && rate >= 1; rate /= 2, n++) {
      if (await tryRate(Math.round(rate))) {
        pass = Math.round(rate);
        break;
      }
      fail = Math.round(rate);
    }
  }
  if (pass > 0 && fail > pass) {
    for (let n = 0; n < o.bisections && fail - pass > Math.max(2, pass * 0.1); n++) {
      const mid = Math.round((pass + fail) / 2);
      if (await tryRate(mid)) pass = mid;
      else fail = mid;
    }
  }
  return {
    rate: pass > 0 ? pass : Math.min(...steps.map((s) => s.offeredPerSec)),
    found: pass > 0,
    capped: fail === 0,
    steps,
  };
}
