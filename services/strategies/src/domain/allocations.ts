/**
 * The rules of a strategy's allocations, pure: each percentage a positive decimal with at most two
 * decimals, each asset once, and together exactly 100. Percentages are exact integers of hundredths
 * of a percent inside ("33.33" → 3333n), parsed with @simplebank/money, never floats.
 */
import { MoneyFormatError, parseRate, type Rate } from '@simplebank/money';

/** 100% in hundredths of a percent. */
export const WHOLE = 10_000n;
/** Most allocations in one strategy (also the contract's maxItems). */
export const MAX_ALLOCATIONS = 100;
export const MAX_NAME_LENGTH = 100;

export interface AllocationInput {
  assetId: string;
  percentage: string;
}

export interface Allocation {
  assetId: string;
  /** Hundredths of a percent: 1 … 10000. */
  hundredths: bigint;
}

export interface FieldProblem {
  path: string;
  message: string;
}

export type Checked =
  | { kind: 'ok'; name: string; allocations: Allocation[] }
  /** The request is malformed on its own (400): every problem, each naming its field. */
  | { kind: 'invalid'; errors: FieldProblem[] }
  /** Well-formed, but the percentages do not add up (422 allocations_must_sum_to_100). */
  | { kind: 'sum_not_100'; name: string; allocations: Allocation[]; sum: bigint };

/** "33.33" → 3333n; a problem message for anything that is not a percentage in (0, 100] with ≤ 2 decimals. */
export function parsePercentage(text: string): { hundredths: bigint } | { problem: string } {
  let rate: Rate;
  try {
    rate = parseRate(text);
  } catch (err) {
    if (err instanceof MoneyFormatError)
      return { problem: 'must be a positive decimal string with at most two decimals, e.g. "25" or "33.33"' };
    throw err;
  }
  if (rate.denominator > 100n) return { problem: 'must have at most two decimals' };
  const hundredths = rate.numerator * (100n / rate.denominator);
  if (hundredths === 0n) return { problem: 'must be greater than 0' };
  if (hundredths > WHOLE) return { problem: 'must be at most 100' };
  return { hundredths };
}

/** 3333n → "33.33", 2500n → "25.00": always two decimals, like money. */
export function formatPercentage(hundredths: bigint): string {
  return `${hundredths / 100n}.${String(hundredths % 100n).padStart(2, '0')}`;
}

/** A name is shown to customers (and e-mailed): not blank, no control characters (PostgreSQL refuses NUL). */
function nameProblem(name: string): string | undefined {
  if (name.trim().length === 0) return 'must not be blank';
  if (name.length > MAX_NAME_LENGTH) return `must be at most ${MAX_NAME_LENGTH} characters`;
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'must not contain control characters';
  return undefined;
}

/** Checks a new strategy: every malformed field first (400), then the sum (422). */
export function checkStrategy(input: { name: string; assets: readonly AllocationInput[] }): Checked {
  const errors: FieldProblem[] = [];
  const nameIssue = nameProblem(input.name);
  if (nameIssue) errors.push({ path: '/name', message: nameIssue });
  if (input.assets.length === 0) errors.push({ path: '/assets', message: 'must hold at least one asset' });
  if (input.assets.length > MAX_ALLOCATIONS)
    errors.push({ path: '/assets', message: `must hold at most ${MAX_ALLOCATIONS} assets` });

  const allocations: Allocation[] = [];
  const firstIndex = new Map<string, number>();
  input.assets.forEach((a, i) => {
    const seen = firstIndex.get(a.assetId);
    if (seen !== undefined)
      errors.push({
        path: `/assets/${i}/assetId`,
        message: `${a.assetId} appears more than once (also /assets/${seen})`,
      });
    else firstIndex.set(a.assetId, i);
    const parsed = parsePercentage(a.percentage);
    if ('problem' in parsed) errors.push({ path: `/assets/${i}/percentage`, message: parsed.problem });
    else allocations.push({ assetId: a.assetId, hundredths: parsed.hundredths });
  });
  if (errors.length > 0) return { kind: 'invalid', errors };

  const name = input.name.trim();
  const sum = allocations.reduce((total, a) => total + a.hundredths, 0n);
  if (sum !== WHOLE) return { kind: 'sum_not_100', name, allocations, sum };
  return { kind: 'ok', name, allocations };
}
