/** The simulated exchange's rules: when an order fills, and how often a request fails. */
import { parseRate, type Cents } from '@simplebank/money';

export const PPM = 1_000_000;

/** A buy fills at or below its limit, a sell at or above. */
export function fillsAt(side: 'buy' | 'sell', limitCents: Cents, priceCents: Cents): boolean {
  return side === 'buy' ? priceCents <= limitCents : priceCents >= limitCents;
}

/**
 * A failure rate (0–1, a number or a decimal string) in parts per million; undefined if invalid.
 * A number is taken through its decimal text, so 0.1 is exactly 100000 ppm.
 */
export function parseFailureRate(value: unknown): number | undefined {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0 || value > 1) return undefined;
    text = value === 0 || value === 1 ? String(value) : value.toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
  } else if (typeof value === 'string') text = value.trim();
  else return undefined;
  let rate;
  try {
    rate = parseRate(text);
  } catch {
    return undefined;
  }
  const ppm = (rate.numerator * BigInt(PPM) + rate.denominator / 2n) / rate.denominator;
  return ppm > BigInt(PPM) ? undefined : Number(ppm);
}

/** Whether a request fails, given one draw (an unsigned 32-bit integer) of the seeded PRNG. */
export function failsWith(draw: number, failureRatePpm: number): boolean {
  return (draw >>> 0) % PPM < failureRatePpm;
}
