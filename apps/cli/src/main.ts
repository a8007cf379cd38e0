#!/usr/bin/env -S node --import tsx
/**
 * `simplebank` — the command behind `npm start`.
 *   simplebank start [--fresh]   all-in-one: every service in this process, embedded PostgreSQL
 *   simplebank start:distributed [--fresh]   one process per service on RabbitMQ (AMQP_URL)
 *   simplebank status | dead-letters … | sagas show … | projections rebuild …   operator commands (operator.ts)
 *   simplebank help
 */
import { ConfigError, createLogger, startAllInOne, stopOnSignals } from '@simplebank/chassis';
import { DataFolderInUseError } from '@simplebank/chassis/embedded';
import { startDistributed } from './distributed.ts';
import { ensureWebApp } from './web-app.ts';
import { OPERATOR_USAGE, OperatorError, runOperatorCommand } from './operator.ts';
import { services } from './services.ts';

const [command = 'help', ...args] = process.argv.slice(2);

/** A start refused for a reason the person at the terminal can fix: the message, no stack trace. */
function refuseStart(err: unknown): never {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  if (err instanceof DataFolderInUseError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}

async function start(): Promise<void> {
  const log = createLogger({ service: 'simplebank' });
  const fresh = args.includes('--fresh');
  const started = Date.now();
  let system;
  // The gateway serves the web app from WEB_APP_DIR (built now if missing or stale), unless one is given.
  const webApp = process.env.WEB_APP_DIR ?? ensureWebApp();
  if (webApp) process.env.WEB_APP_DIR = webApp;
  try {
    system = await startAllInOne({ services, fresh });
  } catch (err) {
    refuseStart(err);
  }
  stopOnSignals(system, log);
  const base = system.runtime.address.replace('127.0.0.1', 'localhost');
  log.info(
    { services: services.map((s) => s.contract.service), readyInMs: Date.now() - started },
    'SimpleBank is ready',
  );
  // Plain lines for the person at the terminal; the JSON log above is for machines.
  process.stderr.write(
    [
      '',
      `SimpleBank (all-in-one) is listening on ${base}`,
      `  services:  ${services.length > 0 ? services.map((s) => s.contract.service).join(', ') : '(none yet)'}`,
      `  health:    ${base}/health/live  ${base}/health/ready`,
      `  metrics:   ${base}/metrics`,
      `  API:       ${base}/v1  (docs: ${base}/docs)`,
      ...(webApp ? [`  web app:   ${base}/`] : []),
      `  data:      ${system.postgres ? 'embedded PostgreSQL under SIMPLEBANK_DATA_DIR (default ./.simplebank)' : 'PostgreSQL at DATABASE_URL'}`,
      ...(process.env.SIMPLEBANK_ADMIN_EMAIL
        ? []
        : [
            '  admin:     admin@simplebank.local / simplebank-admin  (development defaults: set SIMPLEBANK_ADMIN_EMAIL and SIMPLEBANK_ADMIN_PASSWORD)',
          ]),
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
}

async function startDistributedMode(): Promise<void> {
  const log = createLogger({ service: 'simplebank' });
  let system;
  // The gateway process serves the web app too (it inherits WEB_APP_DIR).
  const webApp = process.env.WEB_APP_DIR ?? ensureWebApp();
  if (webApp) process.env.WEB_APP_DIR = webApp;
  try {
    system = await startDistributed({ fresh: args.includes('--fresh'), supervise: true });
  } catch (err) {
    refuseStart(err);
  }
  stopOnSignals(system, log);
  const base = system.gatewayUrl.replace('127.0.0.1', 'localhost');
  process.stderr.write(
    [
      '',
      `SimpleBank (distributed: ${system.processes.size} processes on RabbitMQ) is listening on ${base}`,
      ...Object.entries(system.ports).map(
        ([name, port]) =>
          `  ${name.padEnd(14)} http://localhost:${port}/health/ready  (pid ${system.processes.get(name)?.pid})`,
      ),
      `  API:       ${base}/v1  (docs: ${base}/docs)`,
      ...(webApp ? [`  web app:   ${base}/`] : []),
      'Press Ctrl-C to stop every process.',
      '',
    ].join('\n'),
  );
}

switch (command) {
  case 'start':
    await start();
    break;
  case 'start:distributed':
    await startDistributedMode();
    break;
  case 'help':
  case '--help':
  case '-h':
    console.log(
      [
        'Usage: simplebank start [--fresh] | start:distributed [--fresh] | status | dead-letters … | sagas show … | projections rebuild reporting | events replay …',
        '',
        '  start              run SimpleBank all-in-one (PORT, SIMPLEBANK_DATA_DIR, DATABASE_URL, LOG_LEVEL)',
        '  start:distributed  one process per service on RabbitMQ (AMQP_URL)',
        '  --fresh            wipe the embedded database first',
        '',
        OPERATOR_USAGE,
      ].join('\n'),
    );
    break;
  default:
    try {
      if (await runOperatorCommand(command, args)) break;
    } catch (err) {
      if (!(err instanceof OperatorError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))) throw err;
      console.error((err as Error).message);
      process.exit(err instanceof OperatorError ? 1 : 2);
    }
    console.error(`Unknown command "${command}". Try: simplebank help`);
    process.exit(2);
}
