/**
 * The distributed mode on one machine: every service in its own OS process (`services/<name>/src/main.ts`),
 * RabbitMQ between them (AMQP_URL), a database per service on one PostgreSQL server (DATABASE_URL, or
 * the embedded server when none is given). The services are the registry's (@simplebank/registry:
 * services/<name>/package.json); each listens on PORT + its declared portOffset (health and metrics
 * each), the gateway (offset 0) on PORT itself. Logs: every process writes its JSON lines (each names
 * its `service`) to our stdout; anything else a process prints is prefixed with its name.
 *
 * Start-up is CPU-bound, so each service runs as one bundled program (bundle.ts: plain `node`, no
 * transpiling at start), and every process is spawned at once while the embedded PostgreSQL starts,
 * loads its code meanwhile, and starts the service when told the database's URL (the start gate,
 * start-gate.ts). No process waits for another to be ready: none needs another to start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { defineSettings, env, freePort, loadAll } from '@simplebank/chassis';
import { startEmbeddedPostgres, type EmbeddedServer } from '@simplebank/chassis/embedded';
import { DEFAULT_AMQP_URL } from '@simplebank/chassis/rabbitmq';
import { serviceRegistry } from '@simplebank/registry';
import { bundleServices } from './bundle.ts';

const registry = serviceRegistry();

/** Every service, providers before their callers and the gateway last (spawned in this order, all at once). */
export const SERVICE_NAMES: readonly string[] = registry.names;

/**
 * glibc serves a large block from its heap once a block that size has been freed (its mmap threshold
 * grows), and keeps it when freed again: customers' scrypt (16 MB a hash, four at once on libuv's
 * threads) left about 65 MB resident for good. A fixed threshold maps such blocks and unmaps them when
 * freed. The container image sets the same (Dockerfile); other C libraries ignore it.
 */
const RETURN_FREED_MEMORY = { MALLOC_MMAP_THRESHOLD_: '131072' };

/**
 * V8's young generation may grow to 3 × 16 MB by default and stays that size: after some traffic
 * it was a third of a service's resident memory. 2 MB semi-spaces mean more scavenges, but node's
 * CPU per order, counted, did not move beyond the noise, and each service is 20–35 MB smaller after
 * traffic (docs/performance.md, eleventh session). The container image sets the same (Dockerfile).
 */
const SMALL_YOUNG_GENERATION = '--max-semi-space-size=2';

/** Lines of each process's output a quiet run keeps for `diagnostics()`. */
const RECENT_LINES = 200;

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
  /**
   * What a quiet run hid, for a failed suite: each process that exited unasked (its code and its last
   * lines), then every process's last warnings and errors. Empty when there is nothing to say.
   */
  diagnostics(): string;
  /** Every process's name per service: `{ orders: ['orders', 'orders#2'], … }` (ports and processes use these names). */
  instances: Record<string, string[]>;
  stop(): Promise<void>;
}

export async function startDistributed(
  options: {
    environment?: NodeJS.ProcessEnv;
    fresh?: boolean;
    quiet?: boolean;
    /**
     * Start again a process that exits unasked, after a back-off (1 s, doubling to 30 s), as a
     * supervisor (systemd, Kubernetes) would; the exit is kept for `diagnostics()`. Off by default:
     * tests that kill a process on purpose want it to stay dead.
     */
    supervise?: boolean;
    /** Instances per service (default 1): `{ orders: 2 }` starts `orders` and `orders#2`, each with a port of its own. */
    instances?: Partial<Record<string, number>>;
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
  const ports: Record<string, number> = {};
  // Without PORT, each process gets a port the OS calls free; the OS may name one twice in a row.
  const unusedPort = async (): Promise<number> => {
    const taken = new Set(Object.values(ports));
    for (;;) {
      const port = await freePort();
      if (!taken.has(port)) return port;
    }
  };
  for (const name of SERVICE_NAMES) {
    ports[name] = config.PORT ? registry.port(name, config.PORT) : await unusedPort();
  }
  // Extra instances: `<service>#<n>` (n ≥ 2), on the ports after the services' own.
  const sparePort = config.PORT ? registry.firstSparePort(config.PORT) : 0;
  // The names are no longer a type (they come from services/*): a misspelt one is refused here instead.
  const unknown = Object.keys(options.instances ?? {}).filter((name) => !registry.has(name));
  if (unknown.length > 0)
    throw new Error(`instances: no service ${unknown.join(', ')} (services: ${SERVICE_NAMES.join(', ')})`);
  const instances: Record<string, string[]> = Object.fromEntries(SERVICE_NAMES.map((name) => [name, [name]]));
  let extra = 0;
  for (const name of SERVICE_NAMES) {
    const count = options.instances?.[name] ?? 1;
    if (count > 1 && registry.get(name).portOffset === 0)
      throw new Error(`only one ${name} instance is supported (it owns PORT)`);
    for (let n = 2; n <= count; n++) {
      const instance = `${name}#${n}`;
      instances[name]!.push(instance);
      ports[instance] = config.PORT ? sparePort + extra++ : await unusedPort();
    }
  }
  const serviceOf = (instance: string) => instance.split('#')[0]!;
  const allInstances = SERVICE_NAMES.flatMap((name) => instances[name]!);
  const exchangeUrl = environment.EXCHANGE_URL || `http://127.0.0.1:${ports.exchange}/exchange`;
  // The exchange's API key (decision 0015), for the exchange and its clients (market, the gateway's
  // admin route) only: the configured one, else one made for this run.
  const exchangeApiKey = environment.EXCHANGE_API_KEY || randomBytes(32).toString('base64url');
  const EXCHANGE_CLIENTS = new Set(['exchange', 'market', 'gateway']);
  const processes = new Map<string, ChildProcess>();
  // A quiet run keeps each process's last lines and its unasked exits, for `diagnostics()`.
  const recent = new Map<string, string[]>();
  const exits: string[] = [];
  const stopped = new Set<ChildProcess>();
  const remember = (name: string, line: string) => {
    const lines = recent.get(name) ?? [];
    lines.push(line);
    if (lines.length > RECENT_LINES) lines.shift();
    recent.set(name, lines);
  };

  // The embedded PostgreSQL starts while the services are bundled and load their code.
  const embedded = databaseUrl
    ? undefined
    : startEmbeddedPostgres({
        dataDir: join(resolve(config.SIMPLEBANK_DATA_DIR), 'postgres'),
        fresh: options.fresh ?? false,
      });
  embedded?.catch(() => {}); // awaited below; a failure is reported there
  let programs: Record<string, string> = {};
  let bundleDir: string | undefined;

  // A service process starts loading its code at once and waits at the start gate (start-gate.ts)
  // for `go` with the database's URL, so that loading overlaps starting the embedded PostgreSQL.
  const spawnService = (name: string): ChildProcess => {
    const child = spawn(process.execPath, [SMALL_YOUNG_GENERATION, programs[serviceOf(name)]!], {
      cwd: root,
      env: {
        ...withoutKey(environment),
        PORT: String(ports[name]),
        AMQP_URL: config.AMQP_URL,
        EXCHANGE_URL: exchangeUrl,
        ...(EXCHANGE_CLIENTS.has(serviceOf(name)) ? { EXCHANGE_API_KEY: exchangeApiKey } : {}),
        SIMPLEBANK_START_GATE: 'stdin',
        ...RETURN_FREED_MEMORY,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true, // its own process group: Ctrl-C reaches us, and we stop the services in order
    });
    child.stdin!.on('error', () => {}); // it died before reading its go: waitReady reports the exit
    if (!options.quiet) {
      createInterface({ input: child.stdout! }).on('line', (line) => process.stdout.write(`${line}\n`));
      createInterface({ input: child.stderr! }).on('line', (line) => process.stderr.write(`[${name}] ${line}\n`));
    } else {
      createInterface({ input: child.stdout! }).on('line', (line) => remember(name, line));
      createInterface({ input: child.stderr! }).on('line', (line) => remember(name, line));
    }
    child.once('exit', (code, signal) => {
      if (stopped.has(child)) return;
      exits.push(`${name} exited unasked (code ${code}, signal ${signal}) at ${new Date().toISOString()}`);
      if (options.supervise && !stopping) superviseRestart(name);
    });
    processes.set(name, child);
    return child;
  };
  let stopping: Promise<void> | undefined;
  const restarts = new Map<string, number>();
  const superviseRestart = (name: string) => {
    const n = (restarts.get(name) ?? 0) + 1;
    restarts.set(name, n);
    const delayMs = Math.min(30_000, 1000 * 2 ** (n - 1));
    if (!options.quiet) process.stderr.write(`[${name}] exited unasked; starting it again in ${delayMs / 1000} s\n`);
    setTimeout(() => {
      if (stopping) return;
      go(spawnService(name));
      waitReady(name).catch(() => {}); // exits again: its 'exit' brings it back here
    }, delayMs).unref();
  };
  const go = (child: ChildProcess) => child.stdin!.end(`${JSON.stringify({ DATABASE_URL: databaseUrl })}\n`);

  const waitReady = async (name: string) => {
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const child = processes.get(name)!;
      if (child.exitCode !== null) throw new Error(`${name} exited during start (code ${child.exitCode})`);
      const ok = await fetch(`http://127.0.0.1:${ports[name]}/health/ready`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${name} did not become ready`);
  };

  const stopChild = async (child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM') => {
    stopped.add(child);
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
      go(spawnService(name));
      await waitReady(name);
    },
    diagnostics() {
      const out: string[] = [];
      for (const exit of exits) {
        const name = exit.split(' ')[0]!;
        out.push(`== ${exit}; its last lines:`, ...(recent.get(name) ?? []).slice(-40));
      }
      for (const [name, lines] of recent) {
        const loud = lines.filter((l) => /"level":"(warn|error|fatal)"/.test(l) || !l.startsWith('{')).slice(-15);
        if (loud.length > 0) out.push(`== ${name}: its last warnings and errors`, ...loud);
      }
      return out.join('\n');
    },
    stop() {
      stopping ??= (async () => {
        // Callers first (the gateway), then the rest, all draining at once within their own bound.
        const gateway = processes.get('gateway');
        if (gateway) await stopChild(gateway);
        await Promise.all([...processes.entries()].filter(([n]) => n !== 'gateway').map(([, c]) => stopChild(c)));
        await postgres?.stop();
        if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
  try {
    ({ dir: bundleDir, programs } = await bundleServices(SERVICE_NAMES));
    for (const name of allInstances) spawnService(name);
    if (embedded) {
      postgres = await embedded;
      databaseUrl = postgres.url;
      system.postgres = postgres;
    }
    for (const child of processes.values()) go(child);
    await Promise.all(allInstances.map(waitReady));
  } catch (err) {
    if (embedded && !postgres)
      await embedded.then(
        (server) => server.stop(),
        () => {},
      );
    await system.stop();
    throw err;
  }
  return system;
}

/** The environment without the exchange's API key (the services that do not talk to the exchange never see it). */
function withoutKey(environment: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { EXCHANGE_API_KEY: _key, ...rest } = environment;
  return rest;
}
