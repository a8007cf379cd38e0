/**
 * One service in its own process (the distributed mode's building block): its database from
 * `<SERVICE>_DATABASE_URL` (e.g. ORDERS_DATABASE_URL), or its own database `simplebank_<service>` on
 * the server named by DATABASE_URL; its HTTP port (health, metrics, its routes) from PORT. The
 * transport is given by the caller (the RabbitMQ transport in production).
 */
import { defineSettings, env, loadAll } from '../config/env.ts';
import { databaseUrl } from '../db/database.ts';
import { ConfigError } from '../config/env.ts';
import { logSettings } from '../observability/logger.ts';
import type { Transport } from '../transport/transport.ts';
import { serviceDatabaseName } from './all-in-one.ts';
import { processSettings, Runtime, type RuntimeOptions } from './runtime.ts';
import type { ServiceDefinition } from './service.ts';

export function databaseVariable(service: string): string {
  return `${service.toUpperCase().replace(/-/g, '_')}_DATABASE_URL`;
}

export async function startStandalone(
  definition: ServiceDefinition<any>,
  options: {
    /** The transport, or how to make it once the settings are checked (from the caller's `settings`). */
    transport: Transport | (() => Promise<Transport>);
    /** The caller's own settings, checked with the service's and the runtime's in one report. */
    settings?: readonly { load(source?: NodeJS.ProcessEnv): unknown }[];
    environment?: NodeJS.ProcessEnv;
    runtime?: Partial<RuntimeOptions>;
  },
): Promise<Runtime> {
  const environment = options.environment ?? process.env;
  const service = definition.contract.service;
  const own = databaseVariable(service);
  const settings = defineSettings({
    PORT: env.port({ default: 8080 }),
    HOST: env.string({ default: '127.0.0.1' }),
    [own]: env.url({ optional: true, secret: true, protocols: ['postgres', 'postgresql'] }),
    DATABASE_URL: env.url({ optional: true, secret: true, protocols: ['postgres', 'postgresql'] }),
    // Default: the namespace (CHASSIS_NAMESPACE).
    SIMPLEBANK_DB_PREFIX: env.string({ optional: true }),
  });
  loadAll([settings, ...(options.settings ?? []), ...processSettings, ...(definition.settings ?? [])], environment);
  const config = settings.value as {
    PORT: number;
    HOST: string;
    DATABASE_URL?: string;
    SIMPLEBANK_DB_PREFIX?: string | undefined;
  } & Record<string, unknown>;
  const ownUrl = config[own] as string | undefined;
  const url =
    ownUrl ??
    (config.DATABASE_URL
      ? databaseUrl(config.DATABASE_URL, serviceDatabaseName(service, config.SIMPLEBANK_DB_PREFIX))
      : undefined);
  if (!url) throw new ConfigError([`${own} or DATABASE_URL is required (a postgres URL)`]);
  const transport = typeof options.transport === 'function' ? await options.transport() : options.transport;
  const runtime = new Runtime({
    services: [definition],
    transport,
    databaseUrlFor: () => url,
    // With a shared server the service's database is created on first start; its own URL is used as is.
    createDatabases: !ownUrl,
    port: config.PORT,
    host: config.HOST,
    logLevel: logSettings.value.LOG_LEVEL,
    environment,
    ...options.runtime,
  });
  await runtime.start();
  return runtime;
}
