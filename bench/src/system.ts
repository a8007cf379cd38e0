/**
 * SimpleBank under test, started the way a person starts it (`simplebank start --fresh` or
 * `start:distributed --fresh`) as a child process, with its data in a fresh folder of its own.
 * Start-to-ready is spawn → every process's /health/ready answering 200 (the embedded PostgreSQL's
 * start and the migrations included).
 */
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { serviceRegistry } from '@simplebank/registry';
import { adoptTree, cmdline, descendants, removeOnExit, spawnTs, stopChild, type ProcStat } from './procs.ts';

export const ROOT = resolve(new URL('../..', import.meta.url).pathname);

export type Mode = 'all-in-one' | 'distributed';

export interface RunningSystem {
  mode: Mode;
  url: string;
  /** Every SimpleBank HTTP endpoint (one in all-in-one; one per service in distributed), by name. */
  endpoints: Record<string, string>;
  child: ChildProcess;
  dataDir: string;
  readyMs: number;
  /** postgres://…/postgres of the embedded server (read from its postmaster.pid). */
  postgresUrl: string;
  postgresPid: number;
  /** The node processes (name → pid) and the postgres processes, as they are now. */
  processes(): { node: { name: string; pid: number }[]; postgres: ProcStat[] };
  stop(): Promise<void>;
}

async function ready(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** postmaster.pid: line 1 the pid, line 4 the port. */
function readPostmaster(dataDir: string): { pid: number; port: number } | undefined {
  const file = join(dataDir, 'postgres', 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  return Number.isInteger(pid) && Number.isInteger(port) && port > 0 ? { pid, port } : undefined;
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * `count` consecutive free ports (the distributed mode puts the services on PORT+1, PORT+2, …).
 * Below Linux's ephemeral range (32768–60999), where outgoing connections take theirs, so that a busy
 * machine does not take one between our check and the service's listen.
 */
async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * (12_000 - count));
    let free = true;
    for (let p = base; p < base + count && free; p++) free = await bindable(p);
    if (free) return base;
  }
  throw new Error(`no ${count} consecutive free ports found on 127.0.0.1`);
}

export async function startSystem(
  mode: Mode,
  options: { log: (line: string) => void; logLevel: string; env?: NodeJS.ProcessEnv; readyTimeoutMs?: number },
): Promise<RunningSystem> {
  // PostgreSQL runs as the user `postgres` when we are root: the folder's parents must be traversable (/tmp is).
  const dataDir = mkdtempSync(join(tmpdir(), `simplebank-bench-${mode}-`));
  chmodSync(dataDir, 0o755); // mkdtemp makes it 0700
  removeOnExit(dataDir);
  // The distributed mode's ports are PORT + each service's declared portOffset (@simplebank/registry).
  const registry = serviceRegistry();
  const port = await freePortRange(mode === 'all-in-one' ? 1 : registry.firstSparePort(0));
  const endpoints: Record<string, string> = {};
  if (mode === 'all-in-one') endpoints.simplebank = `http://127.0.0.1:${port}`;
  else for (const name of registry.names) endpoints[name] = `http://127.0.0.1:${registry.port(name, port)}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    SIMPLEBANK_DATA_DIR: dataDir,
    LOG_LEVEL: options.logLevel,
    // The bench measures capacity: the per-customer rate limit (a fairness rule) would refuse first.
    GATEWAY_RATE_LIMIT_PER_MINUTE: '0',
    // A full run outlasts the default 15 minutes of an access token.
    ACCESS_TOKEN_TTL_SECONDS: '7200',
    EXCHANGE_FILL_DELAY_MS: '0',
    ...options.env,
  };
  delete env.DATABASE_URL; // the embedded server, as `npm start` does
  const command = mode === 'all-in-one' ? 'start' : 'start:distributed';
  const started = Date.now();
  const child = spawnTs(join(ROOT, 'apps/cli/src/main.ts'), [command, '--fresh'], {
    name: 'simplebank',
    cwd: ROOT,
    env,
    onLine: options.log,
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let exitCode: number | null | undefined;
  void exited.then((c) => (exitCode = c));

  const stop = async () => {
    if (child.pid) adoptTree(child.pid);
    await stopChild(child, 60_000);
    rmSync(dataDir, { recursive: true, force: true });
  };

  const deadline = started + (options.readyTimeoutMs ?? 180_000);
  const pending = new Set(Object.keys(endpoints));
  try {
    while (pending.size > 0) {
      if (exitCode !== undefined) throw new Error(`SimpleBank (${mode}) exited during start (code ${exitCode})`);
      if (Date.now() > deadline)
        throw new Error(
          `SimpleBank (${mode}) not ready after ${options.readyTimeoutMs ?? 180_000} ms: ${[...pending].join(', ')}`,
        );
      for (const name of [...pending]) if (await ready(endpoints[name]!)) pending.delete(name);
      if (pending.size > 0) await new Promise((r) => setTimeout(r, 50));
      if (child.pid) adoptTree(child.pid); // the services and postgres, as they appear
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const readyMs = Date.now() - started;
  const pm = readPostmaster(dataDir);
  if (!pm) {
    await stop();
    throw new Error(`no postmaster.pid under ${dataDir}/postgres: is SimpleBank using the embedded server?`);
  }
  return {
    mode,
    url: endpoints.gateway ?? endpoints.simplebank!,
    endpoints,
    child,
    dataDir,
    readyMs,
    postgresUrl: `postgres://simplebank:simplebank@127.0.0.1:${pm.port}/postgres`,
    postgresPid: pm.pid,
    processes() {
      const tree = child.pid ? descendants(child.pid) : [];
      const pgTree = new Set(descendants(pm.pid).map((p) => p.pid));
      const node = tree
        .filter((p) => !pgTree.has(p.pid) && p.comm.startsWith('node'))
        .map((p) => {
          // A service runs from its source (tsx) or, in the distributed mode, from its bundle.
          const service = /services\/([^/]+)\/src\/main\.ts|simplebank-services-[^/]+\/([^/]+)\.js/.exec(
            cmdline(p.pid),
          );
          const serviceName = service?.[1] ?? service?.[2];
          return {
            name:
              serviceName ??
              (p.pid === child.pid ? (mode === 'all-in-one' ? 'simplebank' : 'launcher') : `node-${p.pid}`),
            pid: p.pid,
          };
        });
      return { node, postgres: descendants(pm.pid) };
    },
    stop,
  };
}
