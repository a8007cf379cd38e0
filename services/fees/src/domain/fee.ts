/** The fee rule: max(minimum, rate × quantity × price), rounded half-up to the cent, once. Pure. */
import { maxCents, notionalTimesRate, parseMoney, parseQuantity, parseRate, type Cents } from '@simplebank/money';

export interface Schedule {
  minimum: Cents;
  /** The decimal rate string, e.g. "0.001". */
  rate: string;
}

export function feeFor(schedule: Schedule, quantity: string, price: string): Cents {
  return maxCents(
    schedule.minimum,
    notionalTimesRate(parseQuantity(quantity), parseMoney(price), parseRate(schedule.rate)),
  );
}

/** A schedule is acceptable when its rate is a fraction in [0, 1). */
export function validRate(rate: string): boolean {
  const r = parseRate(rate);
  return r.numerator < r.denominator;
}
