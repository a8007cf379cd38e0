/**
 * The consuming side of an event reference: counts messages, their publish → consume latency (the
 * publisher stamps `at`; both run on this machine, one clock) and the consumer's own rate, until the
 * publisher's `end` message.
 */
import { performance } from 'node:perf_hooks';
import { Latency, round } from '../hist.ts';

export function consumeStats() {
  const latency = new Latency();
  let count = 0;
  let first = 0;
  let last = 0;
  return {
    /** Takes one message body; true when it was the `end` marker. */
    take(body: string): boolean {
      const m = JSON.parse(body) as { at?: number; end?: boolean };
      if (m.end) return true;
      const now = performance.now();
      if (count === 0) first = now;
      last = now;
      count++;
      if (typeof m.at === 'number') latency.record(Date.now() - m.at);
      return false;
    },
    result() {
      const seconds = (last - first) / 1000;
      return {
        consumed: count,
        seconds: round(seconds),
        perSec: seconds > 0 ? round(count / seconds) : 0,
        latency: latency.summary(),
      };
    },
  };
}
