/**
 * The whole bench, in order: references that need no SimpleBank (Fastify, RabbitMQ) on a quiet
 * machine; SimpleBank started (start-to-ready), customers set up, idle figures; the PostgreSQL floor
 * and a gateway read beside it; the knee search; the steps at the knee (with commits, CPU and relay
 * lag), at half the knee, and at overload.
 */
import { randomBytes } from 'node:crypto';
import { adminToken, pickAssets, setupTraders, zeroLatencyExchange } from './bank.ts';
import type { Options } from './args.ts';
import { memory, startCpu, type CpuFigures } from './footprint.ts';
import { measureFirstPage } from './web-first-page.ts';
import { webBundle } from './web-bundle.ts';
import { round } from './hist.ts';
import { Client, sleep } from './http.ts';
import { searchKnee } from './knee.ts';
import { runStep, type StepResult } from './load.ts';
import { quantileMs, scrapeRelayLag } from './metrics.ts';
import { commitCounters, commitFloor, delta, sum } from './pg.ts';
import { fastifyReference, gatewayReference } from './refs/http.ts';
import { brokerReachable, rabbitReferences } from './refs/run.ts';
import { machine, ratios, SCHEMA, type KneeStep, type Report } from './report.ts';
import { startSystem, type RunningSystem } from './system.ts';
import { privateVhost } from './vhost.ts';

/** A seeded shuffle (mulberry32), so that `--seed` reproduces which customer trades what, when. */
function shuffle<T>(items: T[], seed: number): T[] {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export interface SuiteHooks {
  log: (line: string) => void;
  /** SimpleBank's own output (kept for an error message). */
  systemLog: (line: string) => void;
  /** Called once SimpleBank runs, so that Ctrl-C can stop it. */
  started: (system: RunningSystem) => void;
  allInOneKnee?: { file: string | null; rate: number | null };
}

export async function runSuite(o: Options, hooks: SuiteHooks): Promise<Report> {
  const reachable = await brokerReachable(o.amqpUrl);
  if (!reachable && o.mode === 'distributed')
    throw new Error(`the distributed mode needs RabbitMQ at AMQP_URL: start one with npm run infra:rabbitmq`);
  // Our own vhost: no other system's services can answer our RPCs, and nothing of ours is left behind.
  const vhost = reachable
    ? await privateVhost(o.amqpUrl, `simplebank-bench-${randomBytes(3).toString('hex')}`)
    : undefined;
  if (vhost) hooks.log(`RabbitMQ: vhost ${vhost.name} of our own`);
  try {
    return await measure(o, hooks, reachable ? (vhost?.url ?? o.amqpUrl) : undefined);
  } finally {
    await vhost?.remove();
  }
}

async function measure(o: Options, hooks: SuiteHooks, brokerUrl: string | undefined): Promise<Report> {
  const log = hooks.log;
  const began = Date.now();
  const base = {
    schema: SCHEMA,
    mode: o.mode,
    quick: o.quick,
    date: new Date().toISOString().slice(0, 10),
    startedAt: new Date().toISOString(),
    machine: machine(),
  };
  const { amqpUrl, outDir, ...options } = o;

  log(`references: bare Fastify (${o.refSeconds} s)`);
  const fastify = await fastifyReference(32, o.refSeconds);
  let rabbitmq: Report['references']['rabbitmq'];
  if (brokerUrl) {
    rabbitmq = { available: true, results: await rabbitReferences(brokerUrl, o.refSeconds, log) };
  } else {
    rabbitmq = {
      available: false,
      note: `no broker at AMQP_URL (${amqpUrl.replace(/\/\/[^@]*@/, '//')}): start one with npm run infra:rabbitmq`,
    };
    log(`references: RabbitMQ skipped (${rabbitmq.note})`);
  }

  log(`SimpleBank ${o.mode}: starting (fresh data)`);
  const system = await startSystem(o.mode, {
    log: hooks.systemLog,
    logLevel: o.logLevel,
    env: { MARKET_DATA_SEED: String(o.seed), ...(brokerUrl ? { AMQP_URL: brokerUrl } : {}) },
  });
  hooks.started(system);
  log(`SimpleBank ready in ${system.readyMs} ms at ${system.url}`);
  const client = new Client(system.url, o.connections);
  try {
    const admin = await adminToken(client);
    await zeroLatencyExchange(client, admin);
    const setupStart = Date.now();
    // Enough cash for every order of the run many times over (each order reserves < 2.00 at these sizes).
    const traders = shuffle(await setupTraders(client, o.customers, '100000.00', 10), o.seed);
    const setupSeconds = round((Date.now() - setupStart) / 1000);
    const assets = await pickAssets(client, traders[0]!.token, 3);
    log(`setup: ${traders.length} customers funded in ${setupSeconds} s; trading ${assets.join(', ')}`);

    await sleep(o.settleSeconds * 1000);
    const idleBefore = await commitCounters(system.postgresUrl);
    const idleStart = Date.now();
    await sleep(o.idleSeconds * 1000);
    const idleByDb = delta(idleBefore, await commitCounters(system.postgresUrl));
    const idleSeconds = (Date.now() - idleStart) / 1000;
    const idleRate = sum(idleByDb) / idleSeconds;
    const idle = {
      seconds: round(idleSeconds),
      commitsPerSec: round(idleRate),
      commitsByDatabase: idleByDb,
      memory: memory(system),
    };
    log(`idle: ${idle.commitsPerSec} commits/s; largest service RSS ${idle.memory.maxServiceRssMb} MB`);

    log(
      `references: PostgreSQL commit floor (${o.refSeconds * 2} s), GET /v1/assets/${assets[0]} through the gateway (${o.refSeconds} s)`,
    );
    const webApp = webBundle();
    const webFirstPage = webApp ? await measureFirstPage(system.url, o.quick ? 3 : 7) : null;
    log(
      webFirstPage
        ? `web app first page: interactive in ${webFirstPage.appMs} ms (median of ${webFirstPage.loads}; a one-button page ${webFirstPage.floorMs} ms)`
        : 'web app first page: not measured (no app built, or no Chromium)',
    );
    const pgCommitFloor = await commitFloor(system.postgresUrl, { seconds: Math.max(1, o.refSeconds * 2) });
    const gatewayAsset = await gatewayReference(client, traders[0]!.token, assets[0]!, 32, o.refSeconds);

    const runId = randomBytes(3).toString('hex');
    const step = (rate: number, label: string, seconds: number, onSent?: () => void): Promise<StepResult> =>
      runStep(client, {
        label,
        rate,
        durationMs: seconds * 1000,
        traders,
        assets,
        quantity: '0.001',
        drainMs: o.drainSeconds * 1000,
        graceMs: o.p99BoundMs,
        p99BoundMs: o.p99BoundMs,
        runId,
        ...(onSent ? { onSent } : {}),
      });

    // The first orders of a fresh system pay for cold caches and JIT: a half-rate step first, kept apart.
    const warmup = await step(Math.max(1, Math.round(o.rates[0]! / 2)), 'warm-up', o.stepSeconds);
    log(
      `warm-up at ${warmup.offeredPerSec}/s: filled ${warmup.filledPerSec}/s, order→filled p99 ${warmup.orderToFilled.p99 ?? '–'} ms`,
    );
    log(`knee search: ${o.stepSeconds} s steps over ${o.rates.join(', ')}/s, ${o.bisections} bisection(s)`);
    const search = await searchKnee((rate, label) => step(rate, label, o.stepSeconds), {
      rates: o.rates,
      bisections: o.bisections,
      log,
    });
    log(
      `knee: ${search.rate}/s${search.found ? '' : ' (none passed)'}${search.capped ? ' (top of the ladder)' : ''}; measuring ${o.durationSeconds} s there`,
    );

    const atKnee = await kneeStep(system, idleRate, o, (onSent) =>
      step(search.rate, 'knee', o.durationSeconds, onSent),
    );
    const halfRate = Math.max(1, Math.round(search.rate / 2));
    log(`half the knee: ${halfRate}/s for ${o.durationSeconds} s`);
    const halfKnee = await step(halfRate, 'half-knee', o.durationSeconds);
    const overRate = Math.round(search.rate * o.overloadFactor);
    log(`overload: ${overRate}/s (${o.overloadFactor}× the knee) for ${o.overloadSeconds} s`);
    // CPU while the orders arrive: what refusing the excess costs beside the orders it admits.
    const overCpuEnd = startCpu(system);
    let overCpu: CpuFigures | undefined;
    const over = await step(overRate, 'overload', o.overloadSeconds, () => (overCpu = overCpuEnd()));
    const overload = {
      ...over,
      cpu: overCpu ?? overCpuEnd(),
      factor: o.overloadFactor,
      goodputVsKnee: atKnee.filledPerSec > 0 ? round(over.filledPerSec / atKnee.filledPerSec) : null,
    };

    const partial = {
      ...base,
      finishedAt: new Date().toISOString(),
      totalSeconds: round((Date.now() - began) / 1000),
      options,
      start: { readyMs: system.readyMs },
      setup: { customers: traders.length, seconds: setupSeconds, assets },
      idle,
      webApp,
      webFirstPage,
      references: {
        pgCommitFloor,
        fastify,
        gatewayAsset,
        rabbitmq,
        ...(o.mode === 'distributed' ? { allInOneKnee: hooks.allInOneKnee ?? { file: null, rate: null } } : {}),
      },
      knee: { rate: search.rate, found: search.found, capped: search.capped, warmup, search: search.steps },
      atKnee,
      halfKnee,
      overload,
    };
    return { ...partial, ratios: ratios(partial) };
  } finally {
    await client.close().catch(() => {});
    log('stopping SimpleBank');
    await system.stop();
  }
}

/** The step at the knee, with the commits it cost, the CPU it took and the relay lag it saw. */
async function kneeStep(
  system: RunningSystem,
  idleRate: number,
  o: Options,
  run: (onSent: () => void) => Promise<StepResult>,
): Promise<KneeStep> {
  const endpoints = Object.values(system.endpoints);
  // Let the previous step's backends flush their statistics (idle ones do so within 10 s).
  await sleep(o.settleSeconds * 1000);
  const before = await commitCounters(system.postgresUrl);
  const lagBefore = await scrapeRelayLag(endpoints);
  const t0 = Date.now();
  const cpuEnd = startCpu(system);
  let cpu: CpuFigures | undefined;
  const result = await run(() => (cpu = cpuEnd()));
  await sleep(o.settleSeconds * 1000);
  const byDatabase = delta(before, await commitCounters(system.postgresUrl));
  const span = (Date.now() - t0) / 1000;
  const lagAfter = await scrapeRelayLag(endpoints);
  const total = sum(byDatabase);
  const filled = result.filled;
  const lag = lagBefore && lagAfter ? quantileMs(lagBefore, lagAfter, 0.99) : undefined;
  return {
    ...result,
    commits: {
      total,
      perOrder: filled > 0 ? round(total / filled) : null,
      perOrderNetOfIdle: filled > 0 ? round(Math.max(0, total - idleRate * span) / filled) : null,
      byDatabase,
    },
    cpu: cpu ?? cpuEnd(),
    relayLag: lag
      ? {
          count: lag.count,
          p99Ms: lag.ms,
          ...(lag.ms === null ? { note: lag.count === 0 ? 'no message relayed' : 'above the largest bucket' } : {}),
        }
      : { count: 0, p99Ms: null, note: 'simplebank_outbox_relay_lag_seconds not in /metrics' },
  };
}
