/**
 * Child processes and what /proc says about them.
 *
 * Every process the bench starts is spawned `detached` (its own process group) and registered here,
 * so that the bench can stop the whole group — also on an error, on Ctrl-C, and, as a last resort,
 * synchronously from the process's `exit` event. SimpleBank's own children (the embedded PostgreSQL,
 * the services of the distributed mode) are in process groups of their own: `adoptTree()` records
 * them too, so a kill -9 of the bench's child cannot leave them behind.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';

const groups = new Set<number>();
const folders = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

const exitHooks = new Set<() => void>();

/** Last resort: whatever is still registered dies with the bench, and its folders go. */
process.once('exit', () => {
  for (const g of groups) killGroup(g, 'SIGKILL');
  for (const f of folders) rmSync(f, { recursive: true, force: true });
  for (const hook of exitHooks) {
    try {
      hook();
    } catch {
      // best effort: the process is leaving
    }
  }
});

/** A synchronous clean-up for an exit that skipped the normal one; returns a function that cancels it. */
export function atExit(hook: () => void): () => void {
  exitHooks.add(hook);
  return () => exitHooks.delete(hook);
}

/** A folder (SimpleBank's data) removed when the bench exits, however it exits short of SIGKILL. */
export function removeOnExit(folder: string): void {
  folders.add(folder);
}

/** Spawns `node --import tsx <script> ...args` (or any command) in its own process group, registered. */
export function spawnChild(
  command: string,
  args: string[],
  options: SpawnOptions & { name: string; onLine?: (line: string) => void },
): ChildProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options, detached: true });
  if (child.pid) groups.add(child.pid);
  child.once('exit', () => {
    // The group may still hold processes the child left behind: those stay registered via adoptTree.
    if (child.pid && !alive(child.pid)) groups.delete(child.pid);
  });
  const onLine = options.onLine;
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    if (onLine) createInterface({ input: stream }).on('line', onLine);
    else stream.resume();
  }
  return child;
}

/** `node --import tsx <file> ...args`, from the repository root. */
export function spawnTs(
  file: string,
  args: string[],
  options: { name: string; env?: NodeJS.ProcessEnv; cwd: string; onLine?: (line: string) => void },
): ChildProcess {
  return spawnChild(process.execPath, ['--import', 'tsx', file, ...args], {
    ...options,
    env: options.env ?? process.env,
  });
}

/** Registers the process groups of `pid`'s descendants (they were spawned detached by SimpleBank). */
export function adoptTree(pid: number): void {
  // Never our own group (npm's, the terminal's): only groups our children made.
  const own = statOf(process.pid)?.pgid;
  for (const p of descendants(pid)) {
    if (p.pgid > 1 && p.pgid !== own) groups.add(p.pgid);
  }
}

/** SIGTERM the child's group, wait up to `graceMs`, then SIGKILL every registered group still alive. */
export async function stopChild(child: ChildProcess, graceMs = 30_000): Promise<void> {
  if (child.pid && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    killGroup(child.pid, 'SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, graceMs).unref())]);
  }
  if (child.pid) killGroup(child.pid, 'SIGKILL');
  if (child.pid) groups.delete(child.pid);
}

/** Kills every registered group that still has a member (after a normal stop, none should). */
export function killAll(signal: NodeJS.Signals = 'SIGKILL'): number {
  let killed = 0;
  for (const g of groups) {
    try {
      process.kill(-g, signal);
      killed++;
    } catch {
      // nobody left in it
    }
    groups.delete(g);
  }
  return killed;
}

// ---------------------------------------------------------------------------------------------
// /proc
// ---------------------------------------------------------------------------------------------

export interface ProcStat {
  pid: number;
  ppid: number;
  pgid: number;
  comm: string;
  /** utime + stime, in clock ticks. */
  ticks: number;
  /** cutime + cstime: reaped children (postgres's exited backends land in the postmaster's). */
  childTicks: number;
}

/** Clock ticks per second (`getconf CLK_TCK`): 100 on every Linux we run on. */
export const TICKS_PER_SECOND = 100;

export function statOf(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm may contain spaces and parentheses: the fields after it start at the last ')'.
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  const f = text.slice(close + 2).split(' ');
  // f[0] is field 3 (state); utime is field 14 → f[11].
  return {
    pid,
    ppid: Number(f[1]),
    pgid: Number(f[2]),
    comm,
    ticks: Number(f[11]) + Number(f[12]),
    childTicks: Number(f[13]) + Number(f[14]),
  };
}

function allStats(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = statOf(Number(name));
    if (s) out.push(s);
  }
  return out;
}

/** `pid` and every process below it. */
export function descendants(pid: number): ProcStat[] {
  const stats = allStats();
  const byParent = new Map<number, ProcStat[]>();
  for (const s of stats) byParent.set(s.ppid, [...(byParent.get(s.ppid) ?? []), s]);
  const root = stats.find((s) => s.pid === pid);
  if (!root) return [];
  const out: ProcStat[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const s = queue.shift()!;
    out.push(s);
    queue.push(...(byParent.get(s.pid) ?? []));
  }
  return out;
}

export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** Resident set size in MB (VmRSS). */
export function rssMb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Proportional set size in MB: shared pages divided among their users (fair for postgres's shared buffers). */
export function pssMb(pid: number): number | undefined {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}
