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
import type { Transport } from '../transport/transport.ts';
import type { Logger } from '../observability/logger.ts';
import { startStandalone } from './standalone.ts';

export const DEFAULT_AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';

export async function runServiceProcess(definition: ServiceDefinition<any>): Promise<void> {
  const service = definition.contract.service;
  const log = createLogger({ service });
  try {
    const { AMQP_URL } = defineSettings({
      AMQP_URL: env.url({ default: DEFAULT_AMQP_URL, secret: true, protocols: ['amqp', 'amqps'] }),
    }).value;
    let transport: Transport = new RabbitMqTransport({ url: AMQP_URL, log });
    // Test facility only (the chaos suite): random duplicates, delays and redeliveries.
    if (process.env.SIMPLEBANK_FAULTS) transport = await withFaults(transport, service, log);
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

/**
 * SIMPLEBANK_FAULTS (e.g. `duplicate:0.05,delay:0.05:200ms,redeliver:0.02`), SIMPLEBANK_FAULTS_SEED
 * and SIMPLEBANK_FAULTS_LOG (a file each fault fired is appended to, one JSON line): the transport
 * wrapped in the testing FaultyTransport (packages/chassis/src/testing), loaded only then.
 */
async function withFaults(inner: Transport, service: string, log: Logger): Promise<Transport> {
  const { randomFaults } = await import('../testing/faulty-transport.ts');
  const { appendFileSync } = await import('node:fs');
  const seed = Number(process.env.SIMPLEBANK_FAULTS_SEED ?? 1);
  const file = process.env.SIMPLEBANK_FAULTS_LOG;
  log.warn(
    { faults: process.env.SIMPLEBANK_FAULTS, seed },
    'fault injection enabled (SIMPLEBANK_FAULTS): for tests only',
  );
  return randomFaults(inner, {
    spec: process.env.SIMPLEBANK_FAULTS!,
    seed,
    service,
    onFault: (fault) => {
      if (!file) return;
      try {
        appendFileSync(file, `${JSON.stringify({ at: Date.now(), service, ...fault })}\n`);
      } catch {
        // the log is for the report only
      }
    },
  });
}
