/**
 * The transport conformance suite (packages/chassis/src/testing/transport-conformance.ts) on a real
 * RabbitMQ: the same cases the memory transport passes under `npm test`. The broker comes from
 * AMQP_URL (`scripts/infra/rabbitmq.sh` starts one on loopback). The run gets a vhost of its own when
 * rabbitmqctl can make one (deleted at the end); else its names are its own and its queues are
 * deleted after each case.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { after, before } from 'node:test';
import amqp from 'amqplib';
import { RabbitMqTransport } from '@simplebank/chassis';
import { transportConformance } from '@simplebank/chassis/testing';
import { DELAY_BUCKETS_MS } from '../../packages/chassis/src/transport/rabbitmq/topology.ts';

const execFileP = promisify(execFile);
const BASE_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const run = randomBytes(4).toString('hex');
let amqpUrl = BASE_URL;
let vhost: string | undefined;

before(async () => {
  const name = `simplebank-conformance-${run}`;
  try {
    const user = decodeURIComponent(new URL(BASE_URL).username || 'guest');
    await execFileP('rabbitmqctl', ['add_vhost', name]);
    vhost = name;
    await execFileP('rabbitmqctl', ['set_permissions', '-p', name, user, '.*', '.*', '.*']);
    const url = new URL(BASE_URL);
    url.pathname = `/${encodeURIComponent(name)}`;
    amqpUrl = url.toString();
  } catch {
    // No rabbitmqctl (a remote broker): the suite's names are unique to the run; `forget` deletes its queues.
  }
});

after(async () => {
  if (vhost) await execFileP('rabbitmqctl', ['delete_vhost', vhost]).catch(() => {});
});

let connections = 0;
const connect = async () => {
  const t = new RabbitMqTransport({ url: amqpUrl, connectionName: `conformance-${run}-${++connections}` });
  await t.connect();
  return t;
};

transportConformance('rabbitmq', {
  open: connect,
  // Another instance is another process: a connection of its own to the same broker.
  peer: connect,
  confirms: 'on-receipt',
  async forget(queues) {
    if (vhost || queues.length === 0) return;
    const c = await amqp.connect(amqpUrl);
    const ch = await c.createChannel();
    for (const q of queues) {
      await ch.deleteQueue(q).catch(() => {});
      for (const ms of DELAY_BUCKETS_MS) await ch.deleteQueue(`${q}.delay.${ms}`).catch(() => {});
    }
    await c.close().catch(() => {});
  },
});
