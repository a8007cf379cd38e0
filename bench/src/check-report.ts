/**
 * Checks that bench reports are well formed: every expected key present, every number finite, a null
 * only where the report says a figure could not be had (an empty histogram, a missing reference).
 * No timing is judged here: CI runs the quick bench to prove the suite works, not how fast it is.
 *
 *   node --import tsx bench/src/check-report.ts [report.json …]
 *   (no files: the newest quick report of each mode in bench/results, both required)
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SCHEMA } from './report.ts';
import { ROOT } from './system.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const STEP_NUMBERS = [
  'offeredPerSec',
  'durationSec',
  'sent',
  'refusedWithoutRetryAfter',
  'accepted',
  'acceptedPerSec',
  'filled',
  'filledPerSec',
  'pendingAfterDrain',
  'drainSec',
];
const LATENCY = ['count', 'p50', 'p90', 'p99', 'p999', 'max', 'mean'];
const LOOP = ['concurrency', 'seconds', 'calls', 'errors', 'perSec'];
const RATIOS = [
  'kneeVsCommitCeiling',
  'commitCeilingOrdersPerSec',
  'kneeVsPrototype',
  'kneeVsAllInOne',
  'overloadGoodputVsKnee',
  'gatewayVsFastify',
  'rpcChassisVsBare50',
  'rpcChassisVsBare1',
  'rpcChassisVsMoleculer50',
  'rpcChassisVsMoleculerTuned50',
  'rpcChassisP50VsBare1',
  'eventsChassisVsBare',
];

/** Where a null is a legitimate "no figure" (anything else null was a NaN or a bug). */
const NULL_ALLOWED = [
  /\.(p50|p90|p99|p999|max|mean)$/,
  /^ratios\./,
  /^atKnee\.commits\.perOrder(NetOfIdle)?$/,
  /^atKnee\.relayLag\.p99Ms$/,
  /^references\.allInOneKnee\.(file|rate)$/,
  /^overload\.goodputVsKnee$/,
];

export function checkReport(report: Json): string[] {
  const problems: string[] = [];
  const get = (path: string): Json | undefined =>
    path
      .split('.')
      .reduce<Json | undefined>(
        (v, k) =>
          v && typeof v === 'object' && !Array.isArray(v) ? v[k] : Array.isArray(v) ? v[Number(k)] : undefined,
        report,
      );
  const num = (path: string) => {
    const v = get(path);
    if (typeof v !== 'number' || !Number.isFinite(v))
      problems.push(`${path}: a finite number expected, got ${JSON.stringify(v)}`);
  };
  const bool = (path: string) =>
    typeof get(path) !== 'boolean' && problems.push(`${path}: a boolean expected, got ${JSON.stringify(get(path))}`);
  const str = (path: string) =>
    typeof get(path) !== 'string' && problems.push(`${path}: a string expected, got ${JSON.stringify(get(path))}`);
  const present = (path: string) => get(path) === undefined && problems.push(`${path}: missing`);
  const latency = (path: string) => {
    num(`${path}.count`);
    for (const k of LATENCY.slice(1)) {
      present(`${path}.${k}`);
      if (get(`${path}.count`) !== 0) num(`${path}.${k}`);
    }
  };
  const step = (path: string) => {
    str(`${path}.label`);
    for (const k of STEP_NUMBERS) num(`${path}.${k}`);
    for (const k of ['passed', 'allTerminal']) bool(`${path}.${k}`);
    for (const k of ['accept', 'refusal', 'orderToFilled']) latency(`${path}.${k}`);
    present(`${path}.senderLateness.p99`);
    present(`${path}.senderLateness.max`);
    for (const k of ['statuses', 'outcomes'])
      if (typeof get(`${path}.${k}`) !== 'object') problems.push(`${path}.${k}: an object expected`);
  };
  const loop = (path: string) => {
    for (const k of LOOP) num(`${path}.${k}`);
    latency(`${path}.latency`);
  };

  if (get('schema') !== SCHEMA) problems.push(`schema: ${SCHEMA} expected, got ${JSON.stringify(get('schema'))}`);
  for (const p of ['mode', 'date', 'startedAt', 'finishedAt', 'machine.cpuModel', 'machine.node', 'machine.platform'])
    str(p);
  for (const p of ['quick', 'knee.found', 'knee.capped', 'references.rabbitmq.available']) bool(p);
  for (const p of [
    'totalSeconds',
    'machine.cores',
    'machine.memoryMb',
    'start.readyMs',
    'setup.customers',
    'setup.seconds',
    'idle.seconds',
    'idle.commitsPerSec',
  ])
    num(p);
  for (const p of ['idle.memory.maxServiceRssMb', 'idle.memory.postgresPssMb', 'idle.memory.postgresProcesses']) num(p);
  // The web app is built by the start command: its weight is in every report.
  for (const p of ['webApp.jsBytes', 'webApp.jsGzipBytes', 'webApp.cssBytes', 'webApp.cssGzipBytes']) num(p);
  // Its first page's time to interactive, where Chromium is installed (CI installs it for the browser suite).
  if (get('webFirstPage') === undefined) problems.push('webFirstPage: missing (null when not measured)');
  else if (get('webFirstPage') !== null)
    for (const p of ['webFirstPage.loads', 'webFirstPage.appMs', 'webFirstPage.floorMs', 'webFirstPage.ratio']) num(p);
  for (const p of [
    'references.pgCommitFloor.commitsPerSec',
    'references.pgCommitFloor.autocommitPerSec',
    'references.pgCommitFloor.pool',
  ])
    num(p);
  loop('references.fastify');
  loop('references.gatewayAsset');
  if (get('references.rabbitmq.available') === true) {
    for (const lib of ['bare', 'chassis', 'moleculer', 'moleculerTuned'])
      for (const n of ['inFlight50', 'inFlight1']) loop(`references.rabbitmq.results.rpc.${lib}.${n}`);
    for (const lib of ['bare', 'chassis']) {
      loop(`references.rabbitmq.results.events.${lib}.publish`);
      for (const k of ['consumed', 'seconds', 'perSec']) num(`references.rabbitmq.results.events.${lib}.consume.${k}`);
      latency(`references.rabbitmq.results.events.${lib}.consume.latency`);
    }
  } else str('references.rabbitmq.note');
  if (get('mode') === 'distributed') present('references.allInOneKnee');
  num('knee.rate');
  const search = get('knee.search');
  if (!Array.isArray(search) || search.length === 0) problems.push('knee.search: a non-empty array of steps expected');
  else search.forEach((_, i) => step(`knee.search.${i}`));
  for (const p of ['knee.warmup', 'atKnee', 'halfKnee', 'overload']) step(p);
  for (const p of [
    'atKnee.commits.total',
    'atKnee.cpu.seconds',
    'atKnee.cpu.nodeCores',
    'atKnee.cpu.postgresCores',
    'atKnee.cpu.benchCores',
    'overload.cpu.nodeCores',
    'overload.cpu.postgresCores',
    'atKnee.relayLag.count',
    'overload.factor',
  ])
    num(p);
  for (const p of [
    'atKnee.commits.perOrder',
    'atKnee.commits.perOrderNetOfIdle',
    'atKnee.relayLag.p99Ms',
    'overload.goodputVsKnee',
  ])
    present(p);
  if (get('atKnee.relayLag.p99Ms') === null) str('atKnee.relayLag.note');
  for (const k of RATIOS) present(`ratios.${k}`);

  // Anywhere in the report: a null only where a figure may be missing, no non-finite number.
  const walk = (v: Json, path: string) => {
    if (v === null) {
      if (!NULL_ALLOWED.some((re) => re.test(path))) problems.push(`${path}: null where a figure is expected`);
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) problems.push(`${path}: ${v}`);
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}.${i}`));
    else if (typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
  };
  walk(report, '');
  return [...new Set(problems)];
}

function newestQuick(dir: string, mode: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(`-${mode}-quick.json`))
    .sort();
  return files.length > 0 ? join(dir, files[files.length - 1]!) : undefined;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const files = process.argv.slice(2);
  let failed = 0;
  if (files.length === 0) {
    const dir = join(ROOT, 'bench/results');
    for (const mode of ['all-in-one', 'distributed']) {
      const f = newestQuick(dir, mode);
      if (!f) {
        console.error(`check-report: no quick ${mode} report in ${dir}`);
        failed++;
      } else files.push(f);
    }
  }
  for (const file of files) {
    const problems = checkReport(JSON.parse(readFileSync(file, 'utf8')) as Json);
    if (problems.length === 0) console.log(`check-report: ${file}: well formed`);
    else {
      failed++;
      console.error(`check-report: ${file}: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`);
    }
  }
  process.exit(failed === 0 ? 0 : 1);
}
