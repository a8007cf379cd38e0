/**
 * `npm run bench:count`: what the order path does, counted rather than timed (counts do not drift
 * with the machine's load the way seconds do). Starts SimpleBank with a statement trace preloaded
 * (statement-trace.mjs), places `--orders` market buys at a modest `--rate`, waits for every one to be
 * terminal, and prints per order: commits by database (pg_stat_database), statements by database, and
 * the most frequent statements, and the CPU time of node and of PostgreSQL. An idle window of the same length is counted first and subtracted, so
 * what the system does by itself (polls, heartbeats) is not charged to the orders.
 *
 * With `--statements`, PostgreSQL's own view too (pg_stat_statements, preloaded through
 * SIMPLEBANK_POSTGRES_SETTINGS): the statements that cost the server most time per order.
 *
 *   npm run bench:count -- [--mode all-in-one|distributed] [--orders 100] [--rate 10] [--top 40] [--statements]
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { adminToken, pickAssets, setupTraders, zeroLatencyExchange } from '../bank.ts';
import { Client, expect, sleep } from '../http.ts';
import { startCpu } from '../footprint.ts';
import { commitCounters, delta, sum } from '../pg.ts';
import { killAll } from '../procs.ts';
import { startSystem, type Mode } from '../system.ts';

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'all-in-one' },
    orders: { type: 'string', default: '100' },
    rate: { type: 'string', default: '10' },
    top: { type: 'string', default: '40' },
    customers: { type: 'string', default: '20' },
    statements: { type: 'boolean', default: false },
  },
});
const mode = values.mode as Mode;
const orders = Number(values.orders);
const rate = Number(values.rate);
/** pg_stat_database flushes a busy backend's counters at most once a second, an idle one's within 10 s. */
const SETTLE_MS = 11_000;

// Each process writes its counts beside this base name when asked (SIGUSR2).
mkdirSync(join(process.cwd(), '.test-data'), { recursive: true });
const traceBase = join(process.cwd(), '.test-data', `statement-trace-${process.pid}`);
const preload = new URL('./statement-trace.mjs', import.meta.url).pathname;
const system = await startSystem(mode, {
  log: () => {},
  logLevel: 'warn',
  env: {
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${preload}`.trim(),
    SIMPLEBANK_STATEMENT_TRACE: traceBase,
    ...(values.statements
      ? {
          SIMPLEBANK_POSTGRES_SETTINGS:
            'shared_preload_libraries=pg_stat_statements,pg_stat_statements.track=all,pg_stat_statements.track_planning=on',
        }
      : {}),
  },
});

type Counts = Map<string, number>;

/** Asks every SimpleBank process for its statement counts (and resets them). */
async function collect(): Promise<Counts> {
  for (const f of readdirSync(join(process.cwd(), '.test-data')))
    if (f.startsWith(`statement-trace-${process.pid}.`)) rmSync(join(process.cwd(), '.test-data', f));
  const pids = system
    .processes()
    .node.filter((p) => p.name !== 'launcher')
    .map((p) => p.pid);
  for (const pid of pids) process.kill(pid, 'SIGUSR2');
  await sleep(500);
  const total: Counts = new Map();
  for (const f of readdirSync(join(process.cwd(), '.test-data'))) {
    if (!f.startsWith(`statement-trace-${process.pid}.`)) continue;
    for (const [k, v] of Object.entries(
      JSON.parse(readFileSync(join(process.cwd(), '.test-data', f), 'utf8')) as Record<string, number>,
    ))
      total.set(k, (total.get(k) ?? 0) + v);
  }
  return total;
}

function perDatabase(counts: Counts): Map<string, number> {
  const m = new Map<string, number>();
  for (const [k, v] of counts) {
    const db = k.split('\t')[0]!;
    m.set(db, (m.get(db) ?? 0) + v);
  }
  return m;
}

const fmt = (n: number) => (Math.round(n * 100) / 100).toFixed(2);

try {
  const client = new Client(system.url, 32);
  const admin = await adminToken(client);
  await zeroLatencyExchange(client, admin);
  const traders = await setupTraders(client, Number(values.customers), '100000.00', 8);
  const assets = await pickAssets(client, traders[0]!.token, 3);
  const loadMs = (orders / rate) * 1000;

  // Idle: the same span with nothing offered.
  await sleep(2_000);
  await collect();
  const idleBefore = await commitCounters(system.postgresUrl);
  const idleCpuEnd = startCpu(system);
  await sleep(loadMs + SETTLE_MS);
  const idleCpu = idleCpuEnd();
  const idleStatements = await collect();
  const idleCommits = delta(idleBefore, await commitCounters(system.postgresUrl));

  const server = values.statements ? new pg.Client({ connectionString: system.postgresUrl }) : undefined;
  if (server) {
    server.on('error', () => {}); // the server stops with the system, maybe before this client ends
    await server.connect();
    await server.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await server.query('SELECT pg_stat_statements_reset()');
  }
  const before = await commitCounters(system.postgresUrl);
  const cpuEnd = startCpu(system);
  const ids: { id: string; token: string }[] = [];
  const started = Date.now();
  for (let i = 0; i < orders; i++) {
    const due = started + (i * 1000) / rate;
    if (due > Date.now()) await sleep(due - Date.now());
    const t = traders[i % traders.length]!;
    const res = expect(
      await client.post(
        '/v1/orders',
        { accountId: t.accountId, assetId: assets[i % assets.length], side: 'buy', quantity: '0.001' },
        t.token,
        { 'idempotency-key': `count-${process.pid}-${i}` },
      ),
      202,
      'order',
    );
    ids.push({ id: res.body.id as string, token: t.token });
  }
  const statuses: Record<string, number> = {};
  for (const o of ids) {
    for (;;) {
      const res = await client.get(`/v1/orders/${o.id}`, o.token);
      if (['filled', 'failed', 'rejected', 'cancelled', 'expired'].includes(res.body.status)) {
        statuses[res.body.status] = (statuses[res.body.status] ?? 0) + 1;
        break;
      }
      await sleep(100);
    }
  }
  // Each order's reads above are counted too: the same one GET per order the settle subtracts below.
  const elapsed = Date.now() - started;
  await sleep(Math.max(0, loadMs + SETTLE_MS - elapsed));
  const cpu = cpuEnd();
  const statements = await collect();
  const commits = delta(before, await commitCounters(system.postgresUrl));

  console.log(
    `${mode}: ${orders} orders at ${rate}/s → ${JSON.stringify(statuses)}; idle window subtracted (same length)`,
  );
  // The idle window is as long as the loaded one, give or take the loaded one's wait for the last fills.
  const perOrderMs = (loaded: number, idle: number, idleSeconds: number) =>
    fmt(((loaded - (idle * cpu.seconds) / idleSeconds) * 1000) / orders);
  console.log(
    `\nCPU per order (net of idle): node ${perOrderMs(cpu.nodeCpuSeconds, idleCpu.nodeCpuSeconds, idleCpu.seconds)} ms, PostgreSQL ${perOrderMs(cpu.postgresCpuSeconds, idleCpu.postgresCpuSeconds, idleCpu.seconds)} ms`,
  );
  console.log(
    `\ncommits per order (pg_stat_database, net of idle): ${fmt((sum(commits) - sum(idleCommits)) / orders)}  (gross ${fmt(sum(commits) / orders)})`,
  );
  for (const [db, n] of Object.entries(commits).sort((a, b) => b[1] - a[1]))
    console.log(`  ${db.padEnd(16)} ${fmt((n - (idleCommits[db] ?? 0)) / orders)}`);
  const dbs = perDatabase(statements);
  const idleDbs = perDatabase(idleStatements);
  console.log(
    `\nstatements per order by database (net of idle): ${fmt(([...dbs.values()].reduce((a, b) => a + b, 0) - [...idleDbs.values()].reduce((a, b) => a + b, 0)) / orders)}`,
  );
  for (const [db, n] of [...dbs].sort((a, b) => b[1] - a[1]))
    console.log(`  ${db.padEnd(24)} ${fmt((n - (idleDbs.get(db) ?? 0)) / orders)}`);
  console.log(`\ntop statements per order (net of idle):`);
  const net = [...statements]
    .map(([k, v]) => [k, (v - (idleStatements.get(k) ?? 0)) / orders] as const)
    .sort((a, b) => b[1] - a[1]);
  for (const [k, v] of net.slice(0, Number(values.top)))
    console.log(`  ${fmt(v).padStart(6)}  ${k.replaceAll('\t', '  ')}`);
  const autos = new Map<string, number>();
  for (const [k, v] of net)
    if (k.split('\t')[1] === 'auto') autos.set(k.split('\t')[0]!, (autos.get(k.split('\t')[0]!) ?? 0) + v);
  console.log(
    `\nstatements outside a transaction (each its own commit) per order: ${fmt([...autos.values()].reduce((a, b) => a + b, 0))}`,
  );
  for (const [db, n] of [...autos].sort((a, b) => b[1] - a[1])) console.log(`  ${db.padEnd(24)} ${fmt(n)}`);
  if (server) {
    // The server's own view (idle work included: at a modest rate it is small beside the orders').
    const { rows } = await server.query<{
      db: string;
      query: string;
      calls: string;
      total_ms: number;
      mean_ms: number;
    }>(
      `SELECT d.datname AS db, s.query, s.calls::text, s.total_exec_time AS total_ms, s.mean_exec_time AS mean_ms
         FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
        WHERE d.datname LIKE 'simplebank%' ORDER BY s.total_exec_time DESC LIMIT $1`,
      [Number(values.top)],
    );
    const totals = (
      await server.query<{ exec: number; plan: number }>(
        "SELECT coalesce(sum(s.total_exec_time), 0) AS exec, coalesce(sum(s.total_plan_time), 0) AS plan FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname LIKE 'simplebank%'",
      )
    ).rows[0]!;
    console.log(`
PostgreSQL time per order (pg_stat_statements): execution ${fmt(totals.exec / orders)} ms, planning ${fmt(totals.plan / orders)} ms; the costliest statements by execution (ms per order, calls per order, mean ms):`);
    for (const r of rows)
      console.log(
        `  ${fmt(r.total_ms / orders).padStart(6)}  ${fmt(Number(r.calls) / orders).padStart(6)}  ${r.mean_ms.toFixed(3).padStart(7)}  ${r.db.replace(/^simplebank_?/, '')}  ${r.query.replace(/\s+/g, ' ').slice(0, 140)}`,
      );
    await server.end();
  }
  await client.close();
} finally {
  await system.stop();
  killAll();
}
