/** The console's golden signals from sampled totals (apps/web/src/signals.ts), in npm test (no browser needed). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  keepWindow,
  meanRelayLagMs,
  p99,
  reading,
  seriesOf,
  type Signals,
  type SignalsReading,
} from '../src/signals.ts';

const BOUNDS = [0.005, 0.01, 0.1, 1];
function signals(
  at: number,
  requests: number,
  errors: number,
  bucketCounts: number[],
  relay = { count: 0, sum: 0 },
): Signals {
  return {
    service: 'orders',
    at: new Date(at).toISOString(),
    requests,
    errors,
    latency: { count: requests, sum: 0, buckets: BOUNDS.map((le, i) => ({ le, count: bucketCounts[i]! })) },
    inFlight: 0,
    outbox: { backlog: 0, oldestAgeSeconds: 0 },
    relayLag: relay,
    queues: [],
  };
}
const at = (ms: number, s: Signals | null): SignalsReading => ({
  at: new Date(ms).toISOString(),
  services: [{ service: 'orders', reachable: s !== null, signals: s }],
});

test('p99 is the smallest bucket bound holding 99 % of the requests between two readings', () => {
  const before = signals(0, 100, 0, [100, 100, 100, 100]).latency;
  // 100 new requests: 98 under 5 ms, 1 under 100 ms, 1 under 1 s.
  assert.equal(p99(before, signals(0, 200, 0, [198, 198, 199, 200]).latency), 0.1);
  assert.equal(p99(before, signals(0, 200, 0, [200, 200, 200, 200]).latency), 0.005);
  assert.equal(p99(before, signals(0, 200, 0, [100, 100, 100, 100]).latency), Infinity, 'all beyond the last bound');
  assert.equal(p99(before, before), undefined, 'no requests: no p99');
});

test('rate, error rate and p99 per interval; a total that went down starts afresh; an unreachable reading is skipped', () => {
  const readings = [
    at(0, signals(0, 10, 0, [10, 10, 10, 10])),
    at(2000, signals(2000, 30, 1, [30, 30, 30, 30])),
    at(4000, null),
    at(6000, signals(6000, 70, 1, [69, 70, 70, 70])),
    at(8000, signals(8000, 5, 0, [5, 5, 5, 5])),
    at(10000, signals(10000, 5, 0, [5, 5, 5, 5])),
  ];
  const s = seriesOf(readings, 'orders');
  assert.deepEqual(
    s.rate.map((p) => p.y),
    [10, 10, 0],
  );
  assert.deepEqual(
    s.errorRate.map((p) => p.y),
    [5, 0],
  );
  assert.deepEqual(
    s.p99.map((p) => p.y),
    [5, 10],
  );
});

test('keeps a minute of readings; the mean relay lag over them; numbers for reading', () => {
  let kept: SignalsReading[] = [];
  for (let t = 0; t <= 70_000; t += 2000)
    kept = keepWindow(kept, at(t, signals(t, 0, 0, [0, 0, 0, 0], { count: t / 1000, sum: t / 100_000 })));
  assert.equal(kept.length, 31);
  assert.equal(Date.parse(kept[0]!.at), 10_000);
  assert.equal(Math.round(meanRelayLagMs(kept, 'orders')!), 10);
  assert.equal(meanRelayLagMs(kept.slice(0, 1), 'orders'), undefined);
  assert.deepEqual([reading(2), reading(2.25), reading(0.04)], ['2', '2.3', '0.0']);
});
