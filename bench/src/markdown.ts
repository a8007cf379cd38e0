/** The report as Markdown: every figure beside its reference and the ratio, then the steps and references. */
import type { LatencySummary } from './hist.ts';
import type { StepResult } from './load.ts';
import { PROTOTYPE_ORDERS_PER_SEC, type Report } from './report.ts';

const n = (v: number | null | undefined, unit = ''): string =>
  v === null || v === undefined ? '–' : `${v.toLocaleString('en-US')}${unit}`;
const x = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : `${v}×`);
const ms = (v: number | null | undefined): string => n(v, ' ms');
const yes = (b: boolean): string => (b ? 'yes' : 'no');
const kb = (bytes: number): string => `${(Math.round(bytes / 102.4) / 10).toLocaleString('en-US')} KiB`;

function statuses(s: StepResult): string {
  const other = Object.entries(s.statuses)
    .filter(([k]) => !['202', '429', '503'].includes(k))
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
  return `${s.statuses['202'] ?? 0} | ${s.statuses['429'] ?? 0} | ${s.statuses['503'] ?? 0} | ${other || '0'}`;
}

function lat(l: LatencySummary): string {
  return `${n(l.p50)} / ${n(l.p99)} / ${n(l.max)}`;
}

function stepRow(s: StepResult): string {
  return `| ${s.label} | ${s.offeredPerSec} | ${s.durationSec} s | ${s.sent} | ${n(s.senderLateness.p99)} / ${n(s.senderLateness.max)} | ${statuses(s)} | ${n(s.accept.p50)} / ${n(s.accept.p99)} | ${n(s.filledPerSec)} | ${lat(s.orderToFilled)} | ${s.pendingAfterDrain} | ${s.passed ? 'pass' : 'fail'} |`;
}

export function markdown(r: Report): string {
  const k = r.atKnee;
  const rpc = r.references.rabbitmq.results?.rpc;
  const ev = r.references.rabbitmq.results?.events;
  const floor = r.references.pgCommitFloor;
  const distributed = r.mode === 'distributed';
  const kneeNote = !r.knee.found
    ? ' (no rate passed: the lowest tried)'
    : r.knee.capped
      ? ' (the top of the ladder passed: the knee is at least this)'
      : '';
  const rabbitNote = r.references.rabbitmq.available ? '' : ` (skipped: ${r.references.rabbitmq.note ?? 'no broker'})`;
  const lines = [
    `# SimpleBank bench — ${r.mode}${r.quick ? ' (quick)' : ''}, ${r.date}`,
    '',
    `Machine: ${r.machine.cpuModel}, ${r.machine.cores} cores, ${n(r.machine.memoryMb)} MB, Node ${r.machine.node}, load average at start ${r.machine.loadAverageAtStart.join(' ')}. ` +
      `Run took ${n(r.totalSeconds)} s; ${r.setup.customers} customers; assets ${r.setup.assets.join(', ')}; step ${r.options.stepSeconds} s, knee and half-knee steps ${r.options.durationSeconds} s, overload ${r.options.overloadSeconds} s; order→filled p99 bound ${r.options.p99BoundMs} ms.`,
    '',
    '| figure | this run | reference (same run) | ratio | quality.md: must reach |',
    '|---|---|---|---|---|',
    `| start to ready | ${n(Math.round(r.start.readyMs / 100) / 10, ' s')} | — | — | ${distributed ? '≤ 8 s' : '≤ 5 s'} |`,
    `| filled/s at the knee (${k.offeredPerSec}/s offered${kneeNote}) | ${n(k.filledPerSec)} | PostgreSQL ceiling ${n(r.ratios.commitCeilingOrdersPerSec)}/s (floor ${n(floor.commitsPerSec)} commits/s ÷ ${n(k.commits.perOrder)} commits/order); prototype ${PROTOTYPE_ORDERS_PER_SEC}/s${distributed ? `; all-in-one knee ${n(r.references.allInOneKnee?.rate)}/s` : ''} | ${x(r.ratios.kneeVsCommitCeiling)}; ${x(r.ratios.kneeVsPrototype)}${distributed ? `; ${x(r.ratios.kneeVsAllInOne)}` : ''} | ${distributed ? '≥ 120/s' : '≥ 250/s'} |`,
    `| accept p99 at the knee | ${ms(k.accept.p99)} | — | — | ≤ 25 ms |`,
    `| order→filled p50 / p99 at the knee | ${ms(k.orderToFilled.p50)} / ${ms(k.orderToFilled.p99)} | bound ${r.options.p99BoundMs} ms | — | — |`,
    `| order→filled p99 at half the knee (${r.halfKnee.offeredPerSec}/s) | ${ms(r.halfKnee.orderToFilled.p99)} | — | — | ≤ 100 ms |`,
    `| overload ${r.overload.factor}× the knee (${r.overload.offeredPerSec}/s, ${r.overload.durationSec} s): goodput filled/s | ${n(r.overload.filledPerSec)} | the knee ${n(k.filledPerSec)}/s | ${x(r.overload.goodputVsKnee)} | ≥ 0.9× |`,
    `| overload: refusals (429/503) and their p99 | ${r.overload.refusal.count}, ${ms(r.overload.refusal.p99)}; ${r.overload.refusedWithoutRetryAfter} without Retry-After | — | — | ≤ 50 ms, with Retry-After |`,
    `| CPU during overload: node / PostgreSQL (cores) | ${n(r.overload.cpu.nodeCores)} / ${n(r.overload.cpu.postgresCores)} | at the knee ${n(k.cpu.nodeCores)} / ${n(k.cpu.postgresCores)} | — | — |`,
    `| overload: every accepted order terminal ${r.options.drainSeconds} s after | ${yes(r.overload.allTerminal)} (${r.overload.pendingAfterDrain} pending) | — | — | yes |`,
    `| commits per order (at the knee) | ${n(k.commits.perOrder)} (${n(k.commits.perOrderNetOfIdle)} net of idle) | — | — | ≤ 15 |`,
    `| idle commits/s, whole system | ${n(r.idle.commitsPerSec)} | — | — | ≤ 5 |`,
    `| CPU at the knee: node / PostgreSQL (cores) | ${n(k.cpu.nodeCores)} / ${n(k.cpu.postgresCores)} (bench itself ${n(k.cpu.benchCores)}) | ${r.machine.cores} cores | ${x(k.cpu.postgresCores ? Math.round((k.cpu.nodeCores / k.cpu.postgresCores) * 100) / 100 : null)} | — |`,
    `| web app, first page interactive in Chromium (median of ${r.webFirstPage?.loads ?? '–'} cold loads) | ${r.webFirstPage ? ms(r.webFirstPage.appMs) : '– not measured'} | a one-button page ${r.webFirstPage ? ms(r.webFirstPage.floorMs) : '–'} | ${x(r.webFirstPage?.ratio ?? null)} | ≤ 1 s |`,
    `| web app, first page: JavaScript / CSS (gzipped) | ${r.webApp ? `${kb(r.webApp.jsGzipBytes)} / ${kb(r.webApp.cssGzipBytes)}` : '– not built'} | raw ${r.webApp ? `${kb(r.webApp.jsBytes)} / ${kb(r.webApp.cssBytes)}` : '–'} | — | — |`,
    `| RSS per service process, idle (largest${distributed ? '' : '; all-in-one: one process hosts every service'}) | ${n(r.idle.memory.maxServiceRssMb, ' MB')} | PostgreSQL PSS ${n(r.idle.memory.postgresPssMb, ' MB')} (${r.idle.memory.postgresProcesses} processes) | — | ≤ 90 MB |`,
    `| relay lag p99 at the knee (outbox commit → confirm) | ${k.relayLag.p99Ms === null ? `– ${k.relayLag.note ?? ''}` : `≤ ${ms(k.relayLag.p99Ms)}`} (${k.relayLag.count} messages) | — | — | ≤ 20 ms |`,
    `| GET /v1/assets/AAPL through the gateway, req/s (${r.references.gatewayAsset.concurrency} in flight) | ${n(r.references.gatewayAsset.perSec)} | bare Fastify ${n(r.references.fastify.perSec)} | ${x(r.ratios.gatewayVsFastify)} | — |`,
    `| PostgreSQL commit floor (pool of ${floor.pool}): BEGIN; INSERT; COMMIT /s | ${n(floor.commitsPerSec)} (autocommit ${n(floor.autocommitPerSec)}) | — | — | — |`,
    `| RPC over RabbitMQ, 50 in flight: chassis calls/s${rabbitNote} | ${n(rpc?.chassis.inFlight50.perSec)} | bare amqplib ${n(rpc?.bare.inFlight50.perSec)} | ${x(r.ratios.rpcChassisVsBare50)} | ≥ 0.8× |`,
    `| RPC, 50 in flight: chassis vs Moleculer (out of the box / tuned) | ${n(rpc?.chassis.inFlight50.perSec)} | ${n(rpc?.moleculer.inFlight50.perSec)} / ${n(rpc?.moleculerTuned.inFlight50.perSec)} | ${x(r.ratios.rpcChassisVsMoleculer50)} / ${x(r.ratios.rpcChassisVsMoleculerTuned50)} | ≥ 1.5× |`,
    `| RPC one at a time: chassis p50 | ${ms(rpc?.chassis.inFlight1.latency.p50)} | bare ${ms(rpc?.bare.inFlight1.latency.p50)} | ${x(r.ratios.rpcChassisP50VsBare1)} | ≤ 1 ms |`,
    `| events, publish with confirms → consume, 100 in flight: chassis transport msgs/s | ${n(ev?.chassis.consume.perSec)} | bare amqplib ${n(ev?.bare.consume.perSec)} | ${x(r.ratios.eventsChassisVsBare)} | ≥ 0.5× (outbox → inbox) |`,
    '',
    '## Load steps',
    '',
    'Open loop: orders offered at a fixed rate; "late" is how far behind its schedule the sender was (ms). Latencies in ms. filled/s counts fills by the step’s end + the p99 bound.',
    '',
    '| step | offered/s | length | sent | late p99 / max | 202 | 429 | 503 | other | accept p50 / p99 | filled/s | order→filled p50 / p99 / max | pending after drain | |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    stepRow(r.knee.warmup),
    ...r.knee.search.map(stepRow),
    stepRow(k),
    stepRow(r.halfKnee),
    stepRow(r.overload),
  ];
  if (rpc) {
    lines.push(
      '',
      '## RabbitMQ references',
      '',
      `${r.options.refSeconds} s each, 160-byte body, client and server in separate processes.`,
      '',
    );
    lines.push(
      '| RPC | 50 in flight: calls/s | p50 / p99 | 1 in flight: calls/s | p50 / p99 |',
      '|---|---|---|---|---|',
    );
    for (const [name, v] of Object.entries(rpc)) {
      lines.push(
        `| ${name} | ${n(v.inFlight50.perSec)} | ${n(v.inFlight50.latency.p50)} / ${n(v.inFlight50.latency.p99)} | ${n(v.inFlight1.perSec)} | ${n(v.inFlight1.latency.p50)} / ${n(v.inFlight1.latency.p99)} |`,
      );
    }
    lines.push('', '| events | published/s | consumed/s | publish → consume p50 / p99 |', '|---|---|---|---|');
    for (const [name, v] of Object.entries(ev ?? {}))
      lines.push(
        `| ${name} | ${n(v.publish.perSec)} | ${n(v.consume.perSec)} | ${n(v.consume.latency.p50)} / ${n(v.consume.latency.p99)} |`,
      );
  }
  lines.push(
    '',
    '## Commits per order by database (at the knee)',
    '',
    `| database | commits | per order |`,
    '|---|---|---|',
  );
  const filled = k.filled || 1;
  for (const [db, c] of Object.entries(k.commits.byDatabase).sort((a, b) => b[1] - a[1]))
    lines.push(`| ${db} | ${c} | ${Math.round((c / filled) * 10) / 10} |`);
  lines.push(
    '',
    `Idle memory per process: ${r.idle.memory.node.map((p) => `${p.name} ${p.rssMb} MB`).join(', ')}.`,
    '',
  );
  return lines.join('\n');
}
