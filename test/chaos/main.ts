/**
 * `npm run test:chaos`: SimpleBank in the distributed mode (a process per service, RabbitMQ, an
 * embedded PostgreSQL) under load while things break, then every invariant checked.
 *
 *   load     many customers placing buy and sell orders, depositing and withdrawing, investing in a
 *            strategy (its payment, then a buy per allocation), concurrently, each request retried by
 *            its client with the same Idempotency-Key until a final answer;
 *   faults   at seeded random times: kill -9 of a random service process (restarted at once, as the
 *            supervisor does), a broker restart (rabbitmqctl stop_app / start_app), a PostgreSQL
 *            restart (fast shutdown, then started again on its data); and all the time, in every
 *            service process, a transport that duplicates, delays and redelivers messages
 *            (SIMPLEBANK_FAULTS, the chassis's testing FaultyTransport);
 *   checks   see invariants.ts: through the public API, and through each service's database read-only
 *            where the API cannot show it.
 *
 * Prints what it did (requests, faults with their times) and each invariant (ok / FAILED with
 * details), then "N passed, N failed" over the invariants; exits 1 when any failed.
 *
 *   npm run test:chaos -- --quick              (CI: ≈ 500 orders, a handful of faults, a few minutes)
 *   npm run test:chaos -- --seed 42            (the long run: 5,000 orders; CHAOS_SEED works too)
 *   npm run test:chaos -- --orders 2000 --customers 40 --faults 20 --rate 12
 *
 * Needs rabbitmqctl on this machine (scripts/infra/rabbitmq.sh installs and starts the broker when
 * AMQP_URL is not given): the broker restart stops the whole node, so run it where nothing else
 * depends on that broker. The system runs on a vhost of its own.
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedServer } from '@simplebank/chassis/embedded';
import { serviceDatabaseName } from '@simplebank/chassis';
import { seededRandom } from '../../packages/chassis/src/testing/faulty-transport.ts';
import { SERVICE_NAMES, startDistributed, type DistributedSystem } from '../../apps/cli/src/distributed.ts';
import { privateVhost, execFileP } from '../distributed/chaos.ts';
import { ADMIN_EMAIL, ADMIN_PASSWORD, show } from '../e2e/system.ts';
import { GaveUp, Observed, Session, sleep } from './client.ts';
import {
  checks,
  finalInvestments,
  finalOrders,
  finalPayments,
  waitSettled,
  type InvestmentOp,
  type OrderOp,
  type PaymentOp,
  type Trader,
  type World,
} from './invariants.ts';

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  if (i >= 0) return args[i + 1];
  return args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
};
const quick = flag('quick');
const seed = Number(option('seed') ?? process.env.CHAOS_SEED ?? Math.floor(Math.random() * 1_000_000));
const ORDERS = Number(option('orders') ?? (quick ? 500 : 5000));
const CUSTOMERS = Number(option('customers') ?? (quick ? 16 : 60));
/** Operations started per second (orders ≈ 80% of them, deposits and withdrawals 10% each; one deposit in four is an investment instead). */
const RATE = Number(option('rate') ?? (quick ? 8 : 10));
const IN_FLIGHT = Number(option('in-flight') ?? 32);
const OPS = Math.round(ORDERS / 0.8);
const LOAD_SECONDS = OPS / RATE;
/** Process kills, broker restarts and PostgreSQL restarts: one per ~15 s of load, at least 6 (quick: 6). */
const FAULTS = Number(option('faults') ?? (quick ? 6 : Math.max(6, Math.round(LOAD_SECONDS / 15))));
const FAULT_SPEC =
  option('transport-faults') ?? process.env.SIMPLEBANK_FAULTS ?? 'duplicate:0.05,delay:0.05:200ms,redeliver:0.02:100ms';
/** A request without a final answer after this is given up on (its outcome "unknown": an invariant fails). */
const REQUEST_TIMEOUT_MS = Number(option('request-timeout-seconds') ?? (quick ? 90 : 240)) * 1000;
const SETTLE_MS = Number(option('settle-seconds') ?? (quick ? 120 : 180)) * 1000;
const ASSETS: Record<string, string> = { AAPL: '20.00', MSFT: '30.00', KO: '40.00', IBM: '15.00' };

if (!Number.isInteger(seed) || seed < 0)
  throw new Error(`--seed must be a non-negative integer, got ${option('seed') ?? process.env.CHAOS_SEED}`);
const random = seededRandom(seed);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));

const root = new URL('../..', import.meta.url).pathname;
const run = randomBytes(4).toString('hex');
const dataRoot = join(root, '.test-data', `chaos-${process.pid}`);
const t0 = Date.now();
const elapsed = () => `+${((Date.now() - t0) / 1000).toFixed(1)}s`;
const say = (line: string) => console.log(`[${elapsed()}] ${line}`);

console.log(`== chaos: seed ${seed} (repeat with --seed ${seed} or CHAOS_SEED=${seed})${quick ? ', quick' : ''}`);
console.log(
  `   ${ORDERS} orders, ~${OPS - ORDERS} deposits and withdrawals, ${CUSTOMERS} customers, ${RATE} requests/s started (≤ ${IN_FLIGHT} in flight), ${FAULTS} process/broker/database faults, transport faults ${FAULT_SPEC}`,
);

// ---------------------------------------------------------------------------------------------
// The system
// ---------------------------------------------------------------------------------------------

await mkdir(dataRoot, { recursive: true });
const faultsLog = join(dataRoot, 'transport-faults.jsonl');
const pgDir = join(dataRoot, 'pg');
const baseAmqp =
  process.env.AMQP_URL ||
  execFileSync('bash', [join(root, 'scripts/infra/rabbitmq.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
const vhost = await privateVhost(baseAmqp, `simplebank-chaos-${run}`);
if (!vhost)
  throw new Error(
    'the chaos suite needs rabbitmqctl (the broker on this machine) for its vhost and the broker restarts',
  );
let postgres: EmbeddedServer = await startEmbeddedPostgres({ dataDir: pgDir, fresh: true });
const pgPort = postgres.port;
const prefix = `chaos_${run}`;
let system: DistributedSystem | undefined;
const dbClients: pg.Client[] = [];

async function cleanup(): Promise<void> {
  await Promise.all(dbClients.map((c) => c.end().catch(() => undefined)));
  await system?.stop().catch(() => undefined);
  await postgres.stop().catch(() => undefined);
  await vhost?.remove();
  if (!flag('keep')) await rm(dataRoot, { recursive: true, force: true });
}

let exitCode = 1;
try {
  say(`starting the distributed system (${SERVICE_NAMES.length} processes)`);
  system = await startDistributed({
    // Fatal lines only (a process that could not start says why), unless CHAOS_LOG asks for more.
    quiet: false,
    environment: {
      ...process.env,
      PORT: '0',
      AMQP_URL: vhost.url,
      DATABASE_URL: postgres.url,
      SIMPLEBANK_DB_PREFIX: prefix,
      PRICE_TICK_MS: '0',
      PAYMENT_PROVIDER_DELAY_MS: '20',
      EXCHANGE_FILL_DELAY_MS: '100',
      ORDER_TTL_SECONDS: '120',
      PLACEMENT_WINDOW_SECONDS: '60',
      ACCESS_TOKEN_TTL_SECONDS: '86400',
      LOG_LEVEL: process.env.CHAOS_LOG ? 'info' : 'fatal',
      SIMPLEBANK_FAULTS: FAULT_SPEC,
      SIMPLEBANK_FAULTS_SEED: String(seed),
      SIMPLEBANK_FAULTS_LOG: faultsLog,
    },
  });
  const sys = system;
  say(`system ready at ${sys.gatewayUrl}`);
  const observed = new Observed();
  const base = sys.gatewayUrl;
  const admin = await Session.admin(base, observed, REQUEST_TIMEOUT_MS, ADMIN_EMAIL, ADMIN_PASSWORD);
  for (const [asset, price] of Object.entries(ASSETS)) {
    const res = await admin.call('PUT', `/v1/admin/simulation/prices/${asset}`, { price });
    if (res.status !== 200) throw new Error(`pin ${asset}: ${show(res)}`);
  }

  // A strategy to invest in (50% AAPL, 50% KO); strategy-orders learns of it by its event.
  const strategy = await admin.call(
    'POST',
    '/v1/admin/strategies',
    {
      name: `Chaos ${run}`,
      assets: [
        { assetId: 'AAPL', percentage: '50' },
        { assetId: 'KO', percentage: '50' },
      ],
    },
    `chaos-${run}-strategy`,
  );
  if (strategy.status !== 201) throw new Error(`create the strategy: ${show(strategy)}`);
  const strategyId = strategy.body.id as string;

  // Customers, each with an account and a first deposit (transport faults are already on).
  const orders: OrderOp[] = [];
  const investments: InvestmentOp[] = [];
  const payments: PaymentOp[] = [];
  const traders: Trader[] = [];
  let opSeq = 0;
  const key = (what: string) => `chaos-${seed}-${run}-${what}-${++opSeq}`;
  const firstDeposits: PaymentOp[] = [];
  await Promise.all(
    Array.from({ length: CUSTOMERS }, async (_, n) => {
      const session = await Session.signUp(base, observed, REQUEST_TIMEOUT_MS, `${seed}-${n}`);
      const res = await session.call('POST', '/v1/accounts', { name: `chaos ${n}` }, `chaos-${run}-account-${n}`);
      if (res.status !== 201) throw new Error(`open account: ${show(res)}`);
      const trader = { n, session, accountId: res.body.id as string };
      traders[n] = trader;
    }),
  );
  const sendPayment = async (p: PaymentOp) => {
    try {
      const res = await p.trader.session.call(
        'POST',
        `/v1/accounts/${p.trader.accountId}/${p.kind === 'deposit' ? 'deposits' : 'withdrawals'}`,
        p.body,
        p.key,
      );
      if (res.status === 202 && res.body?.id) {
        p.outcome = 'accepted';
        p.payment = res.body;
      } else {
        p.outcome = 'refused';
        p.detail = `${res.status} ${res.body?.code ?? res.text.slice(0, 100)}`;
      }
    } catch (err) {
      p.outcome = 'unknown';
      p.detail = (err as Error).message;
    }
  };
  for (const trader of traders) {
    const p: PaymentOp = {
      trader,
      key: key('deposit'),
      kind: 'deposit',
      body: { amount: '5000.00', method: 'card', card: { number: '4242424242424242' } },
    };
    payments.push(p);
    firstDeposits.push(p);
  }
  await Promise.all(firstDeposits.map(sendPayment));
  say(`${traders.length} customers signed up, each with an account and a deposit of 5000.00`);

  // --- the load ---------------------------------------------------------------------------------
  const plan: (() => Promise<void>)[] = [];
  const planned = { orders: 0, deposits: 0, withdrawals: 0, investments: 0 };
  for (let i = 0; i < OPS; i++) {
    const trader = pick(traders);
    const r = random();
    if (r < 0.8 && planned.orders < ORDERS) {
      const side = random() < 0.6 ? 'buy' : 'sell';
      const op: OrderOp = {
        trader,
        key: key('order'),
        request: {
          accountId: trader.accountId,
          assetId: pick(Object.keys(ASSETS)),
          side,
          quantity: String(between(1, 5)),
        },
      };
      orders.push(op);
      planned.orders++;
      plan.push(async () => {
        try {
          const res = await trader.session.call('POST', '/v1/orders', op.request, op.key);
          if (res.status === 202 && res.body?.id) {
            op.outcome = 'accepted';
            op.order = res.body;
          } else {
            op.outcome = 'refused';
            op.detail = `${res.status} ${res.body?.code ?? res.text.slice(0, 100)}`;
          }
        } catch (err) {
          op.outcome = 'unknown';
          op.detail = (err as Error).message;
        }
      });
    } else {
      const deposit = r < 0.9;
      const amount = `${between(10, deposit ? 800 : 400)}.${String(between(0, 99)).padStart(2, '0')}`;
      // One deposit in ten by a card the provider declines (a failed payment, to be notified once).
      const card = random() < 0.1 ? '4000000000000002' : '4242424242424242';
      if (deposit && random() < 0.25) {
        // An investment instead: a strategy investment 'pays in' like a deposit, then buys.
        const inv: InvestmentOp = {
          trader,
          key: key('investment'),
          body: {
            destinationAccountId: trader.accountId,
            amount: `${between(100, 800)}.${String(between(0, 99)).padStart(2, '0')}`,
            method: 'card',
            card: { number: card },
          },
        };
        investments.push(inv);
        planned.investments++;
        plan.push(async () => {
          try {
            const res = await trader.session.call(
              'POST',
              `/v1/strategies/${strategyId}/investments`,
              inv.body,
              inv.key,
            );
            if (res.status === 202 && res.body?.id) Object.assign(inv, { outcome: 'accepted', investment: res.body });
            else
              Object.assign(inv, {
                outcome: 'refused',
                detail: `${res.status} ${res.body?.code ?? res.text.slice(0, 100)}`,
              });
          } catch (err) {
            Object.assign(inv, { outcome: 'unknown', detail: (err as Error).message });
          }
        });
        continue;
      }
      const p: PaymentOp = deposit
        ? { trader, key: key('deposit'), kind: 'deposit', body: { amount, method: 'card', card: { number: card } } }
        : { trader, key: key('withdrawal'), kind: 'withdrawal', body: { amount } };
      payments.push(p);
      if (deposit) planned.deposits++;
      else planned.withdrawals++;
      plan.push(() => sendPayment(p));
    }
  }
  // Top up with orders if the draw left the plan short of ORDERS.
  while (planned.orders < ORDERS) {
    const trader = pick(traders);
    const op: OrderOp = {
      trader,
      key: key('order'),
      request: {
        accountId: trader.accountId,
        assetId: pick(Object.keys(ASSETS)),
        side: 'buy',
        quantity: String(between(1, 5)),
      },
    };
    orders.push(op);
    planned.orders++;
    plan.push(async () => {
      try {
        const res = await trader.session.call('POST', '/v1/orders', op.request, op.key);
        if (res.status === 202 && res.body?.id) Object.assign(op, { outcome: 'accepted', order: res.body });
        else
          Object.assign(op, {
            outcome: 'refused',
            detail: `${res.status} ${res.body?.code ?? res.text.slice(0, 100)}`,
          });
      } catch (err) {
        Object.assign(op, { outcome: 'unknown', detail: (err as Error).message });
      }
    });
  }

  // --- the faults' schedule -----------------------------------------------------------------------
  type FaultKind = 'kill' | 'broker' | 'postgres';
  const allInstances = SERVICE_NAMES.flatMap((s) => sys.instances[s]!);
  const schedule: { atMs: number; kind: FaultKind; target?: string; downMs: number }[] = [];
  // At least one broker restart and one PostgreSQL restart; the rest are kills (2 in 3) or either.
  const kinds: FaultKind[] = ['broker', 'postgres'];
  while (kinds.length < FAULTS) kinds.push(random() < 0.67 ? 'kill' : pick(['broker', 'postgres'] as const));
  for (const kind of kinds.slice(0, FAULTS)) {
    schedule.push({
      atMs: Math.round((0.1 + random() * 0.8) * LOAD_SECONDS * 1000),
      kind,
      ...(kind === 'kill' ? { target: pick(allInstances) } : {}),
      downMs: kind === 'kill' ? 0 : between(2000, 5000),
    });
  }
  schedule.sort((a, b) => a.atMs - b.atMs);
  const faultLog: string[] = [];

  // The supervisor: a process that exits on its own is recorded (no process may exit because a
  // dependency went away) and started again, as a supervisor would.
  const exits: string[] = [];
  const restarting = new Set<string>();
  const watch = setInterval(() => {
    for (const [name, child] of sys.processes) {
      if (restarting.has(name) || (child.exitCode === null && child.signalCode === null)) continue;
      if (faultBusy === name) continue; // being killed and restarted by a fault
      exits.push(
        `${elapsed()} ${name} exited on its own (code ${child.exitCode}, signal ${child.signalCode}): restarted by the supervisor`,
      );
      say(`${name} exited on its own (code ${child.exitCode}); restarting it`);
      restarting.add(name);
      void sys.restart(name).then(
        () => restarting.delete(name),
        (err) => {
          exits.push(`${elapsed()} ${name} could not be restarted: ${(err as Error).message}`);
          restarting.delete(name);
        },
      );
    }
  }, 1000);
  let faultBusy: string | undefined;

  const loadStart = Date.now();
  const sinceLoad = () => `+${((Date.now() - loadStart) / 1000).toFixed(1)}s`;
  const chaos = (async () => {
    for (const f of schedule) {
      const wait = loadStart + f.atMs - Date.now();
      if (wait > 0) await sleep(wait);
      const started = Date.now();
      const at = sinceLoad();
      try {
        if (f.kind === 'kill') {
          say(`fault: kill -9 ${f.target}`);
          faultBusy = f.target;
          await sys.restart(f.target!, 'SIGKILL').finally(() => (faultBusy = undefined));
          faultLog.push(
            `${at} kill -9 ${f.target}: restarted, ready again after ${((Date.now() - started) / 1000).toFixed(1)} s`,
          );
        } else if (f.kind === 'broker') {
          say(`fault: broker stop_app for ${f.downMs} ms`);
          await execFileP('rabbitmqctl', ['stop_app'], { timeout: 120_000 });
          await sleep(f.downMs);
          await execFileP('rabbitmqctl', ['start_app'], { timeout: 120_000 });
          faultLog.push(
            `${at} broker restart (rabbitmqctl stop_app, ${f.downMs} ms down, start_app): back after ${((Date.now() - started) / 1000).toFixed(1)} s`,
          );
        } else {
          say(`fault: PostgreSQL fast shutdown for ${f.downMs} ms`);
          await postgres.stop();
          await sleep(f.downMs);
          postgres = await startEmbeddedPostgres({ dataDir: pgDir, port: pgPort });
          faultLog.push(
            `${at} PostgreSQL restart (fast shutdown, ${f.downMs} ms down, start): accepting again after ${((Date.now() - started) / 1000).toFixed(1)} s`,
          );
        }
      } catch (err) {
        faultLog.push(`${at} ${f.kind} ${f.target ?? ''}: the fault itself failed: ${(err as Error).message}`);
        say(`fault ${f.kind} failed: ${(err as Error).message}`);
      }
    }
  })();

  say(
    `load: ${planned.orders} orders, ${planned.deposits} deposits, ${planned.withdrawals} withdrawals, ${planned.investments} investments over ~${Math.round(LOAD_SECONDS)} s; faults at ${schedule.map((f) => `+${(f.atMs / 1000).toFixed(0)}s ${f.kind}${f.target ? ` ${f.target}` : ''}`).join(', ')}`,
  );
  const inFlight = new Set<Promise<void>>();
  let started = 0;
  // A bound on the load (a system that stopped serving would otherwise keep it going for hours): past
  // it no request is started any more, and the rest are reported as not sent.
  const loadDeadline = loadStart + Number(option('load-limit-seconds') ?? Math.max(240, LOAD_SECONDS * 3)) * 1000;
  for (const op of plan) {
    if (Date.now() > loadDeadline) {
      say(`load bound passed: ${plan.length - started} requests not sent`);
      break;
    }
    const due = loadStart + (started * 1000) / RATE;
    if (due > Date.now()) await sleep(due - Date.now());
    while (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
    const p = op().finally(() => inFlight.delete(p));
    inFlight.add(p);
    started++;
    if (started % 100 === 0) say(`${started}/${plan.length} requests started, ${inFlight.size} in flight`);
  }
  await Promise.all(inFlight);
  say(`every request answered (or given up on) after ${sinceLoad()}; waiting for the faults to end`);
  await chaos;

  // Every process ready again (a broker or database restart may leave some still reconnecting).
  const readyDeadline = Date.now() + 180_000;
  let notReady: string[] = [];
  do {
    const states = await Promise.all(
      Object.entries(sys.ports).map(
        async ([name, port]) =>
          [
            name,
            await fetch(`http://127.0.0.1:${port}/health/ready`).then(
              (r) => r.status === 200,
              () => false,
            ),
          ] as const,
      ),
    );
    notReady = states.filter(([, ok]) => !ok).map(([name]) => name);
    if (notReady.length) await sleep(1000);
  } while (notReady.length && Date.now() < readyDeadline);
  say(notReady.length ? `still not ready: ${notReady.join(', ')}` : 'every process ready');
  clearInterval(watch);
  const readiness: string[] = [...exits];
  for (const name of notReady) {
    const body = await fetch(`http://127.0.0.1:${sys.ports[name]}/health/ready`).then(
      (r) => r.text(),
      (e: Error) => e.message,
    );
    const child = sys.processes.get(name)!;
    readiness.push(
      `${name} not ready 180 s after the last fault (process ${child.exitCode === null && child.signalCode === null ? 'running' : `exited ${child.exitCode ?? child.signalCode}`}): ${body.slice(0, 400)}`,
    );
  }

  // --- checks -------------------------------------------------------------------------------------
  for (const s of SERVICE_NAMES) {
    const url = new URL(postgres.url);
    url.pathname = `/${serviceDatabaseName(s, prefix)}`;
    const c = new pg.Client({ connectionString: url.toString(), options: '-c default_transaction_read_only=on' });
    await c.connect();
    dbClients.push(c);
  }
  const dbs = new Map(SERVICE_NAMES.map((s, i) => [s as string, dbClients[i]!]));
  const world: World = {
    traders,
    orders,
    payments,
    investments,
    admin,
    services: SERVICE_NAMES,
    db: (s) => dbs.get(s)!,
  };
  const settleDeadline = Date.now() + SETTLE_MS;
  say('waiting for every order to be terminal, every payment and investment final');
  const unsettled = await waitSettled(world, settleDeadline).catch((err: Error) => [
    `could not read the orders and payments: ${err.message.slice(0, 400)}`,
  ]);
  say(unsettled.length ? `not settled after ${SETTLE_MS / 1000} s: ${unsettled.length} problems` : 'settled');

  const results: { name: string; problems: string[] }[] = [];
  results.push({
    name: 'every process stayed up or came back by itself, and is ready after the faults',
    problems: readiness,
  });
  if (unsettled.length)
    results.push({ name: 'every order terminal and every payment final within the settle bound', problems: unsettled });
  for (const check of checks(world)) {
    let problems: string[];
    const checkDeadline = Math.max(settleDeadline, Date.now() + 15_000);
    for (;;) {
      try {
        problems = await check.run();
      } catch (err) {
        problems = [`the check itself failed: ${err instanceof GaveUp ? 'gave up: ' : ''}${(err as Error).message}`];
      }
      if (problems.length === 0 || !check.settles || Date.now() > checkDeadline) break;
      await sleep(2000);
    }
    results.push({ name: check.name, problems });
  }

  // --- report -------------------------------------------------------------------------------------
  const transportFaults = (await readFile(faultsLog, 'utf8').catch(() => ''))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { at: number; service: string; kind: string; type: string });
  const count = <T>(items: T[], by: (t: T) => string) =>
    items.reduce<Record<string, number>>((m, x) => ((m[by(x)] = (m[by(x)] ?? 0) + 1), m), {});
  const allFinal = [...finalOrders.values()].flat();
  const paymentsBy = (kind: string) => payments.filter((p) => p.kind === kind);
  const paySummary = (kind: string) => {
    const ps = paymentsBy(kind);
    return `${ps.length} ${kind}s (${JSON.stringify(count(ps, (p) => (p.payment ? (finalPayments.get(p.payment.id)?.status ?? 'accepted') : `${p.outcome}${p.detail ? ` ${p.detail.split(' ').slice(0, 2).join(' ')}` : ''}`)))})`;
  };

  console.log('\n== what it did');
  console.log(
    `seed ${seed}; wall time ${((Date.now() - t0) / 1000).toFixed(0)} s (load ${Math.round(LOAD_SECONDS)} s planned)`,
  );
  console.log(
    `orders: ${orders.length} requested (${JSON.stringify(count(orders, (o) => o.outcome ?? 'not sent'))}); final statuses ${JSON.stringify(count(allFinal, (o) => `${o.side} ${o.status}${o.reason ? ` (${o.reason})` : ''}`))}`,
  );
  console.log(`payments: ${paySummary('deposit')}, ${paySummary('withdrawal')}`);
  console.log(
    `investments: ${investments.length} requested (${JSON.stringify(count(investments, (i) => (i.investment ? (finalInvestments.get(i.investment.id)?.status ?? 'accepted') + (finalInvestments.get(i.investment.id)?.reason ? ` (${finalInvestments.get(i.investment.id)!.reason})` : '') : (i.outcome ?? 'not sent'))))}), ${investments.reduce((n, i) => n + (i.investment ? (finalInvestments.get(i.investment.id)?.orders.length ?? 0) : 0), 0)} buys placed by them`,
  );
  console.log(`client retries (non-final answers): ${JSON.stringify(observed.retries)}`);
  if (observed.odd.length) console.log(`odd retryable answers (sample): ${observed.odd.join(' | ')}`);
  console.log('faults:');
  for (const f of faultLog) console.log(`  ${f}`);
  const tf = count(transportFaults, (f) => f.kind);
  console.log(
    `  transport (${FAULT_SPEC}): ${transportFaults.length} faults fired ${JSON.stringify(tf)}; by service ${JSON.stringify(count(transportFaults, (f) => f.service))}`,
  );
  if (transportFaults.length) {
    const first = transportFaults[0]!.at;
    const last = transportFaults[transportFaults.length - 1]!.at;
    console.log(
      `  transport faults from +${((first - t0) / 1000).toFixed(1)}s to +${((last - t0) / 1000).toFixed(1)}s; by message type ${JSON.stringify(count(transportFaults, (f) => f.type))}`,
    );
  }

  console.log('\n== what it checked');
  for (const r of results) {
    console.log(`${r.problems.length ? 'FAILED' : 'ok    '}  ${r.name}`);
    for (const p of r.problems) console.log(`          - ${p}`);
  }
  const failed = results.filter((r) => r.problems.length).length;
  console.log(`\nseed ${seed}`);
  console.log(`${results.length - failed} passed, ${failed} failed`);
  exitCode = failed > 0 ? 1 : 0;
} catch (err) {
  console.error(`chaos run aborted (seed ${seed}): ${(err as Error).stack ?? err}`);
  console.log('0 passed, 1 failed');
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);
