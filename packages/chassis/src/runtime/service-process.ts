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

/** A service process's own settings, checked at start with every other (startStandalone's one report). */
export const serviceProcessSettings = defineSettings({
  AMQP_URL: env.url({ default: DEFAULT_AMQP_URL, secret: true, protocols: ['amqp', 'amqps'] }),
  /**
   * Test facility only (the chaos suite): random faults of the transport, e.g.
   * `duplicate:0.05,delay:0.05:200ms,redeliver:0.02`; SIMPLEBANK_FAULTS_SEED makes them repeatable and
   * SIMPLEBANK_FAULTS_LOG names a file each fault fired is appended to (one JSON line).
   */
  SIMPLEBANK_FAULTS: env.string({ optional: true }),
  SIMPLEBANK_FAULTS_SEED: env.integer({ default: 1 }),
  SIMPLEBANK_FAULTS_LOG: env.string({ optional: true }),
});

export async function runServiceProcess(definition: ServiceDefinition<any>): Promise<void> {
  const service = definition.contract.service;
  const log = createLogger({ service });
  try {
    const runtime = await startStandalone(definition, {
      settings: [serviceProcessSettings],
      transport: async () => {
        const settings = serviceProcessSettings.value;
        const transport = new RabbitMqTransport({ url: settings.AMQP_URL, log });
        return settings.SIMPLEBANK_FAULTS ? withFaults(transport, service, log, settings) : transport;
      },
    });
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

/** The transport wrapped in the testing FaultyTransport (packages/chassis/src/testing), loaded only then. */
async function withFaults(
  inner: Transport,
  service: string,
  log: Logger,
  settings: typeof serviceProcessSettings.value,
): Promise<Transport> {
  const { randomFaults } = await import('../testing/faulty-transport.ts');
  const { appendFileSync } = await import('node:fs');
  const seed = settings.SIMPLEBANK_FAULTS_SEED;
  const file = settings.SIMPLEBANK_FAULTS_LOG;
  log.warn({ faults: settings.SIMPLEBANK_FAULTS, seed }, 'fault injection enabled (SIMPLEBANK_FAULTS): for tests only');
  return randomFaults(inner, {
    spec: settings.SIMPLEBANK_FAULTS!,
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
