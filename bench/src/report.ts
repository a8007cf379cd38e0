/** The bench's report (bench/results/<date>-<mode>[-quick].json) and the ratios derived from it. */
import { cpus, loadavg, release, totalmem } from 'node:os';
import type { Options } from './args.ts';
import type { CpuFigures, MemoryFigures } from './footprint.ts';
import { round } from './hist.ts';
import type { StepResult } from './load.ts';
import type { CommitFloor } from './pg.ts';
import type { LoopResult } from './refs/closed-loop.ts';
import type { RabbitReferences } from './refs/run.ts';
import type { WebBundle } from './web-bundle.ts';
import type { FirstPage } from './web-first-page.ts';

export const SCHEMA = 1;

/** The book's Python prototype, orders/s (issue 8). */
export const PROTOTYPE_ORDERS_PER_SEC = 42;

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryMb: number;
  node: string;
  platform: string;
  loadAverageAtStart: number[];
}

export interface KneeStep extends StepResult {
  commits: {
    total: number;
    /** Commits in SimpleBank's databases from before the step to after its drain, ÷ orders filled. */
    perOrder: number | null;
    /** The same less what the system commits by itself when idle over that span. */
    perOrderNetOfIdle: number | null;
    byDatabase: Record<string, number>;
  };
  cpu: CpuFigures;
  /** Outbox commit → publish confirm, p99 over the step (upper bound of its bucket); null with a note when absent. */
  relayLag: { count: number; p99Ms: number | null; note?: string };
}

export interface Report {
  schema: number;
  mode: Options['mode'];
  quick: boolean;
  date: string;
  startedAt: string;
  finishedAt: string;
  totalSeconds: number;
  machine: Machine;
  options: Omit<Options, 'amqpUrl' | 'outDir'>;
  start: { readyMs: number };
  setup: { customers: number; seconds: number; assets: string[] };
  idle: { seconds: number; commitsPerSec: number; commitsByDatabase: Record<string, number>; memory: MemoryFigures };
  /** The web app's built files (null: not built). */
  webApp: WebBundle | null;
  /** The first page's time to interactive in Chromium, and a one-button page's (null: no app or no Chromium). */
  webFirstPage: FirstPage | null;
  references: {
    pgCommitFloor: CommitFloor;
    fastify: LoopResult;
    gatewayAsset: LoopResult;
    rabbitmq: { available: boolean; note?: string; results?: RabbitReferences };
    /** Distributed mode: the knee of the latest all-in-one report in the results folder. */
    allInOneKnee?: { file: string | null; rate: number | null };
  };
  knee: { rate: number; found: boolean; capped: boolean; warmup: StepResult; search: StepResult[] };
  atKnee: KneeStep;
  halfKnee: StepResult;
  overload: StepResult & { cpu: CpuFigures; factor: number; goodputVsKnee: number | null };
  ratios: Record<string, number | null>;
}

export function machine(): Machine {
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryMb: Math.round(totalmem() / 2 ** 20),
    node: process.version,
    platform: `${process.platform} ${release()}`,
    loadAverageAtStart: loadavg().map((l) => round(l)),
  };
}

export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (
    a === null ||
    a === undefined ||
    b === null ||
    b === undefined ||
    b === 0 ||
    !Number.isFinite(a) ||
    !Number.isFinite(b)
  )
    return null;
  return round(a / b);
}

/** Every figure that quality.md compares with a reference, as a ratio (null when a side is missing). */
export function ratios(r: Omit<Report, 'ratios'>): Record<string, number | null> {
  const rpc = r.references.rabbitmq.results?.rpc;
  const events = r.references.rabbitmq.results?.events;
  const ceiling = ratio(r.references.pgCommitFloor.commitsPerSec, r.atKnee.commits.perOrder);
  return {
    /** The knee ÷ the ceiling PostgreSQL allows at this many commits per order. */
    kneeVsCommitCeiling: ratio(r.atKnee.filledPerSec, ceiling),
    commitCeilingOrdersPerSec: ceiling,
    kneeVsPrototype: ratio(r.atKnee.filledPerSec, PROTOTYPE_ORDERS_PER_SEC),
    kneeVsAllInOne: ratio(r.atKnee.filledPerSec, r.references.allInOneKnee?.rate ?? null),
    overloadGoodputVsKnee: r.overload.goodputVsKnee,
    gatewayVsFastify: ratio(r.references.gatewayAsset.perSec, r.references.fastify.perSec),
    rpcChassisVsBare50: ratio(rpc?.chassis.inFlight50.perSec, rpc?.bare.inFlight50.perSec),
    rpcChassisVsBare1: ratio(rpc?.chassis.inFlight1.perSec, rpc?.bare.inFlight1.perSec),
    rpcChassisVsMoleculer50: ratio(rpc?.chassis.inFlight50.perSec, rpc?.moleculer.inFlight50.perSec),
    rpcChassisVsMoleculerTuned50: ratio(rpc?.chassis.inFlight50.perSec, rpc?.moleculerTuned.inFlight50.perSec),
    rpcChassisP50VsBare1: ratio(rpc?.chassis.inFlight1.latency.p50, rpc?.bare.inFlight1.latency.p50),
    eventsChassisVsBare: ratio(events?.chassis.consume.perSec, events?.bare.consume.perSec),
  };
}
