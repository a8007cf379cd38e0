/**
 * `npm run bench:trace`: where one order's time goes, on a quiet system. Starts SimpleBank with its
 * traces exported to a receiver in this process, places `--orders` market buys one at a time (the
 * exchange at zero latency), and prints each order's status times (pending → placed → filled, from
 * its own history), then the spans of the last order's trace in start order: when each began after
 * the order was sent, how long it took, in which service. A wait no span accounts for is time spent
 * between services (a queue, a poll, a lane), which is what this is for finding.
 *
 *   npm run bench:trace -- [--mode all-in-one|distributed] [--orders 12]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { otlpReceiver, spanAttribute, type OtlpSpan } from '@simplebank/chassis/testing';
import { adminToken, pickAssets, setupTraders, zeroLatencyExchange } from '../bank.ts';
import { Client, expect, sleep } from '../http.ts';
import { startSystem, type Mode } from '../system.ts';

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'all-in-one' },
    orders: { type: 'string', default: '12' },
  },
});
const orders = Math.max(1, Number(values.orders));
const TERMINAL = ['filled', 'failed', 'rejected', 'canceled', 'expired'];

const receiver = await otlpReceiver();
const system = await startSystem(values.mode as Mode, {
  log: () => {},
  logLevel: 'warn',
  env: {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '100',
  },
});
const micros = (nanos: string) => Number(BigInt(nanos) / 1000n);
const ms = (us: number) => (us / 1000).toFixed(1).padStart(7);

try {
  const client = new Client(system.url);
  await zeroLatencyExchange(client, await adminToken(client));
  const [trader] = await setupTraders(client, 1, '100000.00', 1);
  const [asset] = await pickAssets(client, trader!.token, 1);
  console.log(`${values.mode}: ${orders} market buys of ${asset}, one at a time; times in ms after each was sent`);
  let last = { traceId: '', sentAt: 0 };
  for (let i = 0; i < orders; i++) {
    const traceId = randomBytes(16).toString('hex');
    const sentAt = Date.now();
    const placed = expect(
      await client.post(
        '/v1/orders',
        { accountId: trader!.accountId, assetId: asset, side: 'buy', quantity: '0.001' },
        trader!.token,
        { 'idempotency-key': `trace-${traceId}`, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
      ),
      202,
      'place order',
    );
    const acceptMs = Date.now() - sentAt;
    let order: { status: string; history: Array<{ status: string; at: string }> };
    for (;;) {
      order = expect(await client.get(`/v1/orders/${placed.body.id}`, trader!.token), 200, 'order').body;
      if (TERMINAL.includes(order.status)) break;
      await sleep(5);
    }
    const steps = order.history.map((h) => `${h.status} ${Date.parse(h.at) - sentAt}`).join(', ');
    console.log(`order ${i + 1}: accepted ${acceptMs}; ${steps}`);
    last = { traceId, sentAt };
    await sleep(300);
  }
  await sleep(1500); // the exporters' batches (every 100 ms) and the read models' lingers
  const spans = receiver.spans
    .filter((s) => s.traceId === last.traceId)
    .sort((a, b) => micros(a.startTimeUnixNano) - micros(b.startTimeUnixNano));
  console.log(`\nthe last order's trace (${spans.length} spans): start, duration, service, span`);
  const service = (s: OtlpSpan) => String(spanAttribute(s, 'simplebank.service') ?? s.service);
  for (const s of spans) {
    const start = micros(s.startTimeUnixNano) - last.sentAt * 1000;
    const took = micros(s.endTimeUnixNano) - micros(s.startTimeUnixNano);
    console.log(`${ms(start)} ${ms(took)}  ${service(s).padEnd(15)} ${s.name}`);
  }
} finally {
  await system.stop();
  await receiver.close();
}
