/**
 * The entry of one service's own process (the distributed mode): the RabbitMQ transport from
 * AMQP_URL, the service's database and port from the environment (see standalone.ts), a drain on
 * SIGINT/SIGTERM. Each `services/<name>/src/main.ts` is one call to this.
 */
import { ConfigError, defineSettings, env } from '../config/env.ts';
import { createLogger } from '../observability/logger.ts';
import { RabbitMqTransport } from '../transport/rabbitmq/transport.ts';
import { stopOnSignals } from './all-in-one.ts';
import type { ServiceDefinition } from './service.ts';
import { startStandalone } from './standalone.ts';

export const DEFAULT_AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';

export async function runServiceProcess(definition: ServiceDefinition<any>): Promise<void> {
  const service = definition.contract.service;
  const log = createLogger({ service });
  try {
    const { AMQP_URL } = defineSettings({ AMQP_URL: env.url({ default: DEFAULT_AMQP_URL, secret: true, protocols: ['amqp', 'amqps'] }) }).value;
    const transport = new RabbitMqTransport({ url: AMQP_URL, log });
    const runtime = await startStandalone(definition, { transport });
    stopOnSignals(runtime, log);
    log.info({ address: runtime.address }, `${service} is ready`);
  } catch (err) {
    if (err instanceof ConfigError) {
      log.fatal(err.message);
      process.stderr.write(`${service}: ${err.message}\n`);
      process.exit(2);
    }
    log.fatal({ err }, `${service} could not start`);
    process.exit(1);
  }
}
