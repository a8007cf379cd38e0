/**
 * Reference: bare amqplib on the broker SimpleBank uses — the floor for RPC and for the event pipeline.
 * Sockets with `noDelay: true` (without it Nagle's algorithm meets delayed ACKs: ~40 ms a call).
 *
 *   amqp.ts serve   <url> <queue>                        echo server: reply to `replyTo` with the body
 *   amqp.ts call    <url> <queue> <inFlight,…> <ms>      direct reply-to request/reply, closed loop per in-flight count
 *   amqp.ts consume <url> <queue>                        consume and ack until the `end` message
 *   amqp.ts publish <url> <queue> <inFlight> <ms>        persistent publish with confirms, then `end`
 */
import amqp from 'amqplib';
import { PAYLOAD, closedLoop, closedLoops, counts, emit, ready } from './closed-loop.ts';
import { consumeStats } from './consume-stats.ts';

const [role, url = '', queue = '', inFlight = '1', ms = '1000'] = process.argv.slice(2);
const connection = await amqp.connect(url, { noDelay: true });
const REPLY_TO = 'amq.rabbitmq.reply-to';

if (role === 'serve') {
  const ch = await connection.createChannel();
  await ch.assertQueue(queue, { durable: false, autoDelete: true });
  await ch.prefetch(100);
  await ch.consume(queue, (msg) => {
    if (!msg) return;
    ch.publish('', msg.properties.replyTo as string, msg.content, {
      correlationId: msg.properties.correlationId as string,
    });
    ch.ack(msg);
  });
  ready();
} else if (role === 'call') {
  const ch = await connection.createChannel();
  const waiting = new Map<string, () => void>();
  await ch.consume(REPLY_TO, (msg) => msg && waiting.get(msg.properties.correlationId as string)?.(), { noAck: true });
  let next = 0;
  const body = Buffer.from(PAYLOAD);
  const result = await closedLoops(counts(inFlight), Number(ms), () => {
    const id = String(next++);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => (waiting.delete(id), reject(new Error('timeout'))), 10_000);
      waiting.set(id, () => (clearTimeout(timer), waiting.delete(id), resolve()));
      ch.publish('', queue, body, { replyTo: REPLY_TO, correlationId: id, expiration: '10000' });
    });
  });
  emit(result);
  await connection.close();
} else if (role === 'consume') {
  const ch = await connection.createChannel();
  await ch.assertQueue(queue, { durable: true });
  await ch.prefetch(100);
  const stats = consumeStats();
  await ch.consume(queue, (msg) => {
    if (!msg) return;
    const done = stats.take(msg.content.toString('utf8'));
    ch.ack(msg);
    if (done) {
      emit(stats.result());
      void connection.close().finally(() => process.exit(0));
    }
  });
  ready();
} else if (role === 'publish') {
  const ch = await connection.createConfirmChannel();
  await ch.assertQueue(queue, { durable: true });
  const publish = (body: string) =>
    new Promise<void>((resolve, reject) => {
      ch.sendToQueue(queue, Buffer.from(body), { persistent: true }, (err) => (err ? reject(err) : resolve()));
    });
  const result = await closedLoop(Number(inFlight), Number(ms), () =>
    publish(JSON.stringify({ at: Date.now(), p: PAYLOAD })),
  );
  await publish(JSON.stringify({ end: true }));
  emit(result);
  await connection.close();
} else {
  console.error(`amqp.ts: unknown role ${role}`);
  process.exit(2);
}
