/**
 * Where the machine's time and memory go: CPU seconds of SimpleBank's node processes vs its
 * PostgreSQL processes over a window (from /proc, utime + stime), and memory per process at idle.
 */
import { round } from './hist.ts';
import { TICKS_PER_SECOND, pssMb, rssMb, statOf } from './procs.ts';
import type { RunningSystem } from './system.ts';

interface CpuSnapshot {
  at: number;
  node: number;
  postgres: number;
  bench: number;
}

function snapshot(system: RunningSystem): CpuSnapshot {
  const { node, postgres } = system.processes();
  let nodeTicks = 0;
  for (const p of node) nodeTicks += statOf(p.pid)?.ticks ?? 0;
  let pgTicks = 0;
  for (const p of postgres) pgTicks += p.ticks;
  // Backends that exited were reaped by the postmaster: their time is in its children's ticks.
  pgTicks += statOf(system.postgresPid)?.childTicks ?? 0;
  const self = process.cpuUsage();
  return {
    at: Date.now(),
    node: nodeTicks / TICKS_PER_SECOND,
    postgres: pgTicks / TICKS_PER_SECOND,
    bench: (self.user + self.system) / 1e6,
  };
}

export interface CpuFigures {
  seconds: number;
  /** CPU seconds over the window. */
  nodeCpuSeconds: number;
  postgresCpuSeconds: number;
  benchCpuSeconds: number;
  /** Cores busy on average (1.0 = one core all the time). */
  nodeCores: number;
  postgresCores: number;
  benchCores: number;
}

export function startCpu(system: RunningSystem): () => CpuFigures {
  const before = snapshot(system);
  return () => {
    const after = snapshot(system);
    const seconds = (after.at - before.at) / 1000;
    const node = after.node - before.node;
    const pgs = after.postgres - before.postgres;
    const bench = after.bench - before.bench;
    return {
      seconds: round(seconds),
      nodeCpuSeconds: round(node),
      postgresCpuSeconds: round(pgs),
      benchCpuSeconds: round(bench),
      nodeCores: round(node / seconds),
      postgresCores: round(pgs / seconds),
      benchCores: round(bench / seconds),
    };
  };
}

export interface MemoryFigures {
  /** RSS of each node process of SimpleBank (the launcher included in the distributed mode). */
  node: { name: string; pid: number; rssMb: number }[];
  /** The largest RSS of a process that hosts services (not the distributed mode's launcher). */
  maxServiceRssMb: number;
  /** PostgreSQL, every process, proportional set size (its shared buffers counted once). */
  postgresPssMb: number;
  postgresProcesses: number;
}

export function memory(system: RunningSystem): MemoryFigures {
  const { node, postgres } = system.processes();
  const rows = node.map((p) => ({ name: p.name, pid: p.pid, rssMb: round(rssMb(p.pid) ?? 0) }));
  const services = rows.filter((r) => r.name !== 'launcher');
  let pss = 0;
  for (const p of postgres) pss += pssMb(p.pid) ?? 0;
  return {
    node: rows,
    maxServiceRssMb: Math.max(0, ...services.map((r) => r.rssMb)),
    postgresPssMb: round(pss),
    postgresProcesses: postgres.length,
  };
}
