/**
 * The chassis's RabbitMQ transport (`RabbitMqTransport`, what the distributed mode runs on), driven
 * the same way as the bare amqplib reference (amqp.ts): same payload, same concurrency, echo in a
 * separate process. No envelope or database here: this is the transport's own cost.
 *
 *   chassis.ts serve   <url> <service>                   RPC echo server (transport.serve)
 *   chassis.ts call    <url> <service> <inFlight,…> <ms> transport.request, closed loop per in-flight count
 *   chassis.ts consume <url> <group> <type>              transport.subscribe to events of <type>, until `end`
 *   chassis.ts publish <url> <type> <inFlight> <ms>      transport.publish (resolves on the confirm), then `end`
 */
import { randomUUID } from 'node:crypto';
import { RabbitMqTransport } from '@simplebank/chassis/rabbitmq';
import { PAYLOAD, closedLoop, closedLoops, counts, emit, ready } from './closed-loop.ts';
import { consumeStats } from './consume-stats.ts';

const [role, url = '', name = '', third = '', fourth = '1000'] = process.argv.slice(2);
const transport = new RabbitMqTransport({ url, connectionName: `bench-${role}` });
await transport.connect();

if (role === 'serve') {
  await transport.serve(name, async (body) => body, { concurrency: 100 });
  ready();
} else if (role === 'call') {
  const result = await closedLoops(counts(third), Number(fourth), () =>
    transport.request(name, PAYLOAD, { timeoutMs: 10_000 }),
  );
  emit(result);
  await transport.close();
} else if (role === 'consume') {
  const stats = consumeStats();
  await transport.subscribe(
    { group: name, name: 'events', source: { kind: 'events', types: [third] }, prefetch: 100 },
    async (delivery) => {
      if (stats.take(delivery.body)) {
        emit(stats.result());
        setImmediate(() => void transport.close().finally(() => process.exit(0)));
      }
      return { outcome: 'ack' };
    },
  );
  ready();
} else if (role === 'publish') {
  const publish = (body: string) =>
    transport.publish({ destination: { kind: 'event', type: name }, messageId: randomUUID(), body });
  const result = await closedLoop(Number(third), Number(fourth), () =>
    publish(JSON.stringify({ at: Date.now(), p: PAYLOAD })),
  );
  await publish(JSON.stringify({ end: true }));
  emit(result);
  await transport.close();
} else {
  console.error(`chassis.ts: unknown role ${role}`);
  process.exit(2);
}
