/**
 * The simulated price feed: a random walk in whole cents. Each step moves a price by at most 0.5%
 * (at least one cent) either way, never below one cent nor above the limit on prices
 * (MAX_PRICE_CENTS, docs/limits.md). Integer arithmetic only.
 */
import { MAX_PRICE_CENTS, type Cents } from '@simplebank/money';
import type { Prng } from './prng.ts';

export const MIN_PRICE_CENTS: Cents = 1n;

/** The largest move of one step from `price`: 0.5% of it, at least one cent. */
export function maxStep(price: Cents): Cents {
  const bound = price / 200n;
  return bound < 1n ? 1n : bound;
}

/** One step of the walk from `price`, driven by one draw of the PRNG. */
export function stepPrice(price: Cents, draw: number): Cents {
  const bound = maxStep(price);
  const step = (BigInt(draw >>> 0) % (2n * bound + 1n)) - bound;
  const next = price + step;
  if (next < MIN_PRICE_CENTS) return MIN_PRICE_CENTS;
  return next > MAX_PRICE_CENTS ? MAX_PRICE_CENTS : next;
}

/** One tick: every given price (in the given order) takes one step, one draw each. */
export function walk<T extends { priceCents: Cents }>(
  assets: readonly T[],
  next: Prng,
): Array<T & { priceCents: Cents }> {
  return assets.map((a) => ({ ...a, priceCents: stepPrice(a.priceCents, next()) }));
}

/** Whether a price change may be published now: it differs from the last published, and the throttle passed. */
export function shouldPublish(
  current: Cents,
  lastPublished: Cents | null,
  lastPublishedAtMs: number | null,
  nowMs: number,
  throttleMs: number,
): boolean {
  if (lastPublished !== null && lastPublished === current) return false;
  return lastPublishedAtMs === null || nowMs - lastPublishedAtMs >= throttleMs;
}
