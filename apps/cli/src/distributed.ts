/**
 * The distributed mode on one machine: every service in its own OS process (`services/<name>/src/main.ts`),
 * RabbitMQ between them (AMQP_URL), a database per service on one PostgreSQL server (DATABASE_URL, or
 * the embedded server when none is given). The gateway listens on PORT; the other services on the
 * ports after it (health and metrics each). Logs: every process writes its JSON lines (each names
 * its `service`) to our stdout; anything else a process prints is prefixed with its name.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { DEFAULT_AMQP_URL, defineSettings, env, freePort, loadAll, startEmbeddedPostgres, type EmbeddedServer } from '@simplebank/chassis';

/** Start order: providers before their callers, the gateway last. */
export const SERVICE_NAMES = ['customers', 'accounts', 'transactions', 'payments', 'market-data', 'exchange', 'market', 'fees', 'orders', 'holdings', 'notifications', 'gateway'] as const;

const root = resolve(new URL('../../..', import.meta.url).pathname);

export interface DistributedSystem {
  gatewayUrl: string;
  ports: Record<string, number>;
  processes: Map<string, ChildProcess>;
  postgres: EmbeddedServer | undefined;
  /**
   * Restarts one service's process (chaos tests: kill -9, then start again). With several instances
   * of a service, `service` names one: `orders` is the first, `orders#2` the second, and so on.
   */
  restart(service: string, signal?: NodeJS.Signals): Promise<void>;
  /** Every process's name per service: `{ orders: ['orders', 'orders#2'], … }` (ports and processes use these names). */
  instances: Record<string, string[]>;
  stop(): Promise<void>;
}

export async function startDistributed(
  options: {
    environment?: NodeJS.ProcessEnv;
    fresh?: boolean;
    quiet?: boolean;
    /** Instances per service (default 1): `{ orders: 2 }` starts `orders` and `orders#2`, each with a port of its own. */
    instances?: Partial<Record<(typeof SERVICE_NAMES)[number], number>>;
  } = {},
): Promise<DistributedSystem> {
  const environment = options.environment ?? process.env;
  const settings = defineSettings({
    PORT: env.port({ default: 8080 }),
    AMQP_URL: env.url({ default: DEFAULT_AMQP_URL, secret: true, protocols: ['amqp', 'amqps'] }),
    DATABASE_URL: env.url({ optional: true, secret: true, protocols: ['postgres', 'postgresql'] }),
    SIMPLEBANK_DATA_DIR: env.string({ default: './.simplebank' }),
  });
  loadAll([settings], environment);
  const config = settings.value;
  let postgres: EmbeddedServer | undefined;
  let databaseUrl = config.DATABASE_URL;
  if (!databaseUrl) {
    postgres = await startEmbeddedPostgres({ dataDir: join(resolve(config.SIMPLEBANK_DATA_DIR), 'postgres'), fresh: options.fresh ?? false });
    databaseUrl = postgres.url;
  }
  const ports: Record<string, number> = {};
  for (const [i, name] of SERVICE_NAMES.entries()) {
    ports[name] = name === 'gateway' ? config.PORT || (await freePort()) : config.PORT ? config.PORT + 1 + i : await freePort();
  }
  // Extra instances: `<service>#<n>` (n ≥ 2), on the ports after the services' own.
  const instances: Record<string, string[]> = Object.fromEntries(SERVICE_NAMES.map((name) => [name, [name]]));
  let extra = 0;
  for (const name of SERVICE_NAMES) {
    const count = options.instances?.[name] ?? 1;
    if (count > 1 && name === 'gateway') throw new Error('only one gateway instance is supported (it owns PORT)');
    for (let n = 2; n <= count; n++) {
      const instance = `${name}#${n}`;
      instances[name]!.push(instance);
      ports[instance] = config.PORT ? config.PORT + 1 + SERVICE_NAMES.length + extra++ : await freePort();
    }
  }
  const serviceOf = (instance: string) => instance.split('#')[0]!;
  const allInstances = SERVICE_NAMES.flatMap((name) => instances[name]!);
  const exchangeUrl = environment.EXCHANGE_URL || `http://127.0.0.1:${ports.exchange}/exchange`;
  const processes = new Map<string, ChildProcess>();

  const spawnService = (name: string): ChildProcess => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'services', serviceOf(name), 'src', 'main.ts')], {
      cwd: root,
      env: { ...environment, PORT: String(ports[name]), AMQP_URL: config.AMQP_URL, DATABASE_URL: databaseUrl, EXCHANGE_URL: exchangeUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group: Ctrl-C reaches us, and we stop the services in order
    });
    if (!options.quiet) {
      createInterface({ input: child.stdout! }).on('line', (line) => process.stdout.write(`${line}\n`));
      createInterface({ input: child.stderr! }).on('line', (line) => process.stderr.write(`[${name}] ${line}\n`));
    } else {
      child.stdout!.resume();
      child.stderr!.resume();
    }
    processes.set(name, child);
    return child;
  };
  for (const name of allInstances) spawnService(name);

  const waitReady = async (name: string) => {
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const child = processes.get(name)!;
      if (child.exitCode !== null) throw new Error(`${name} exited during start (code ${child.exitCode})`);
      const ok = await fetch(`http://127.0.0.1:${ports[name]}/health/ready`).then((r) => r.status === 200, () => false);
      if (ok) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`${name} did not become ready`);
  };

  const stopChild = async (child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    try {
      process.kill(-child.pid!, signal);
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    }, 20_000);
    await exited;
    clearTimeout(timer);
  };

  let stopping: Promise<void> | undefined;
  const system: DistributedSystem = {
    gatewayUrl: `http://127.0.0.1:${ports.gateway}`,
    ports,
    processes,
    instances,
    postgres,
    async restart(name, signal = 'SIGKILL') {
      const child = processes.get(name);
      if (!child) throw new Error(`no process named ${name} (known: ${[...processes.keys()].join(', ')})`);
      await stopChild(child, signal);
      spawnService(name);
      await waitReady(name);
    },
    stop() {
      stopping ??= (async () => {
        // Callers first (the gateway), then the rest, all draining at once within their own bound.
        await stopChild(processes.get('gateway')!);
        await Promise.all([...processes.entries()].filter(([n]) => n !== 'gateway').map(([, c]) => stopChild(c)));
        await postgres?.stop();
      })();
      return stopping;
    },
  };
  try {
    await Promise.all(allInstances.map(waitReady));
  } catch (err) {
    await system.stop();
    throw err;
  }
  return system;
}
