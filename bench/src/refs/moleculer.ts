/**
 * The peer: Moleculer 0.14 (0.15 needs Node 22) request/reply over its AMQP transporter, same payload
 * and concurrency as amqp.ts and chassis.ts. `default` is Moleculer out of the box (prefetch 1, Nagle
 * on); `tuned` gives it what the chassis has (prefetch = 100, `noDelay` on the socket).
 *
 *   moleculer.ts serve <url> <namespace> <default|tuned>
 *   moleculer.ts call  <url> <namespace> <default|tuned> <inFlight,…> <ms>
 */
import { ServiceBroker } from 'moleculer';
import { PAYLOAD, closedLoops, counts, emit, ready } from './closed-loop.ts';

const [role, url = '', namespace = '', flavour = 'default', inFlight = '1', ms = '1000'] = process.argv.slice(2);
const options = flavour === 'tuned' ? { url, prefetch: 100, socketOptions: { noDelay: true } } : { url };
const broker = new ServiceBroker({
  namespace,
  nodeID: `${role}-${process.pid}`,
  transporter: { type: 'AMQP', options },
  logger: false,
});

if (role === 'serve') {
  broker.createService({ name: 'echo', actions: { echo: (ctx: { params: unknown }) => ctx.params } });
  await broker.start();
  ready();
} else if (role === 'call') {
  await broker.start();
  await broker.waitForServices('echo', 30_000);
  const params = JSON.parse(PAYLOAD) as Record<string, unknown>;
  const result = await closedLoops(counts(inFlight), Number(ms), () =>
    broker.call('echo.echo', params, { timeout: 10_000 }),
  );
  emit(result);
  await broker.stop();
} else {
  console.error(`moleculer.ts: unknown role ${role}`);
  process.exit(2);
}
