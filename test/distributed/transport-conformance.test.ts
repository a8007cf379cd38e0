/**
 * The transport conformance suite (packages/chassis/src/testing/transport-conformance.ts) on a real
 * RabbitMQ: the same cases the memory transport passes under `npm test`. The broker comes from
 * AMQP_URL (`scripts/infra/rabbitmq.sh` starts one on loopback). The run gets a vhost of its own when
 * rabbitmqctl can make one (deleted at the end); else its names are its own and its queues are
 * deleted after each case.
 */
import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import { RabbitMqTransport } from '@simplebank/chassis/rabbitmq';
import { transportConformance } from '@simplebank/chassis/testing';
import { runVhost, type RunVhost } from './run-vhost.ts';

const run = randomBytes(4).toString('hex');
let broker: RunVhost;

before(async () => {
  broker = await runVhost(`simplebank-conformance-${run}`);
});

after(() => broker.drop());

let connections = 0;
const connect = async () => {
  const t = new RabbitMqTransport({ url: broker.url, connectionName: `conformance-${run}-${++connections}` });
  await t.connect();
  return t;
};

transportConformance('rabbitmq', {
  open: connect,
  // Another instance is another process: a connection of its own to the same broker.
  peer: connect,
  confirms: 'on-receipt',
  // On the run's own vhost the queues go with it at the end; on a shared one, after each case.
  forget: (queues) => (broker.own ? Promise.resolve() : broker.drop(queues)),
});
