/**
 * A real Prometheus scrapes the all-in-one system: after a little traffic through the public API
 * (signup, account, deposit, one filled order), Prometheus (configured like
 * deploy/prometheus/prometheus.yml, scraping every second) must hold the series our dashboards and
 * alerts query, for every service. Skips itself when no `prometheus` binary is on the PATH
 * (scripts/infra/prometheus.sh installs it; CI runs that first).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { test } from 'node:test';
import { freePort, startAllInOne, type AllInOne } from '@simplebank/chassis';
import { eventually, stopPrivateServer, testServerUrl } from '@simplebank/chassis/testing';
import { services } from '../../apps/cli/src/services.ts';
import { Bank, Http } from '../e2e/system.ts';

const WAIT_MS = 30_000;
const SERVICES = [
  'customers',
  'accounts',
  'transactions',
  'payments',
  'market-data',
  'exchange',
  'market',
  'fees',
  'orders',
  'holdings',
  'notifications',
  'strategies',
  'strategy-orders',
  'reporting',
  'gateway',
];

function findBinary(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(base: string, promql: string): Promise<Sample[]> {
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await res.json()) as {
    status: string;
    data?: { resultType: string; result: Sample[] };
    error?: string;
  };
  assert.equal(body.status, 'success', `query ${promql}: ${JSON.stringify(body)}`);
  return body.data!.result;
}

/** Waits until `promql` returns samples that satisfy `check`; fails with the last answer. */
async function expectSeries(
  base: string,
  promql: string,
  check: (samples: Sample[]) => boolean,
  what: string,
): Promise<Sample[]> {
  let last: Sample[] = [];
  try {
    return await eventually(
      async () => {
        last = await query(base, promql);
        return check(last) ? last : undefined;
      },
      { timeoutMs: WAIT_MS, intervalMs: 250, message: what },
    );
  } catch (err) {
    throw new Error(
      `${(err as Error).message}: ${promql} returned ${JSON.stringify(last.map((s) => [s.metric, s.value[1]]))}`,
    );
  }
}

const servicesOf = (samples: Sample[]) => new Set(samples.map((s) => s.metric.service));

test('Prometheus scrapes the all-in-one system: the key series of every service are there', {
  timeout: 180_000,
}, async (t) => {
  const prometheus = findBinary('prometheus');
  if (!prometheus) {
    t.skip('prometheus not installed');
    return;
  }
  const system: AllInOne = await startAllInOne({
    services,
    environment: {
      ...process.env,
      DATABASE_URL: await testServerUrl(),
      SIMPLEBANK_DB_PREFIX: `obs_${randomBytes(4).toString('hex')}`,
      PORT: '0',
      LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'silent',
      PRICE_TICK_MS: '0',
      PAYMENT_PROVIDER_DELAY_MS: '20',
      EXCHANGE_FILL_DELAY_MS: '50',
      ORDER_TTL_SECONDS: '30',
      PLACEMENT_WINDOW_SECONDS: '10',
    },
  });
  const dir = await mkdtemp(join(tmpdir(), 'simplebank-prometheus-'));
  let child: ChildProcess | undefined;
  let output = '';
  try {
    // Traffic through the public API: signup, account, deposit, one filled order.
    const http = new Http(system.runtime.address);
    const bank = new Bank(http);
    const { customer, account } = await bank.fundedCustomer('5000.00');
    await bank.pinPrice('AAPL', '100.00');
    const order = await bank.trade(customer, { accountId: account.id, assetId: 'AAPL', side: 'buy', quantity: '2' });
    assert.equal(order.status, 'filled');

    // Prometheus, configured like deploy/prometheus/prometheus.yml but scraping this system every second.
    const target = new URL(system.runtime.address);
    const port = await freePort();
    const config = join(dir, 'prometheus.yml');
    await writeFile(
      config,
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        'scrape_configs:',
        '  - job_name: simplebank-all-in-one',
        '    honor_labels: true',
        '    scrape_timeout: 1s',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${target.port}']`,
        '        labels: { mode: all-in-one }',
        '',
      ].join('\n'),
    );
    child = spawn(
      prometheus,
      [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout!.on('data', (d) => (output = (output + String(d)).slice(-4000)));
    child.stderr!.on('data', (d) => (output = (output + String(d)).slice(-4000)));
    const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
    const base = `http://127.0.0.1:${port}`;
    await Promise.race([
      eventually(
        async () =>
          (await fetch(`${base}/-/ready`).then(
            (r) => r.ok,
            () => false,
          )) || undefined,
        { timeoutMs: WAIT_MS, intervalMs: 200, message: 'prometheus never became ready' },
      ),
      exited.then((code) => {
        throw new Error(`prometheus exited (${code}): ${output}`);
      }),
    ]);

    // It scraped, and the target is up.
    const up = await expectSeries(
      base,
      'up{job="simplebank-all-in-one"}',
      (s) => s.length === 1 && s[0]!.value[1] === '1',
      'the system is scraped and up',
    );
    assert.equal(up[0]!.metric.instance, `127.0.0.1:${target.port}`);

    // Golden signals: RPC server latency of the services the traffic went through, HTTP at the gateway.
    const rpc = await expectSeries(
      base,
      'sum by (service) (simplebank_rpc_server_duration_seconds_count{outcome="ok"}) > 0',
      (s) =>
        ['customers', 'accounts', 'payments', 'market-data', 'fees', 'orders', 'transactions'].every((x) =>
          servicesOf(s).has(x),
        ),
      'RPC server series',
    );
    assert.ok(servicesOf(rpc).size >= 7, `RPC series of ${[...servicesOf(rpc)]}`);
    const routes = await expectSeries(
      base,
      'sum by (route) (simplebank_http_server_duration_seconds_count{service="gateway",method="POST"})',
      (s) => s.some((x) => x.metric.route === '/v1/orders'),
      'HTTP series at the gateway',
    );
    assert.ok(
      routes.some((x) => x.metric.route === '/v1/auth/signup'),
      `routes: ${JSON.stringify(routes.map((r) => r.metric.route))}`,
    );
    await expectSeries(
      base,
      'sum by (service) (simplebank_message_handler_duration_seconds_count{outcome="handled"}) > 0',
      (s) => servicesOf(s).has('orders') && servicesOf(s).has('transactions'),
      'message handler series',
    );

    // Broker health: the outbox backlog of every service, and dead letters (none).
    const backlog = await expectSeries(
      base,
      'simplebank_outbox_backlog',
      (s) => SERVICES.every((x) => servicesOf(s).has(x)),
      'outbox backlog of every service',
    );
    assert.equal(backlog.length, SERVICES.length);
    const dead = await expectSeries(
      base,
      'simplebank_dead_letters',
      (s) => SERVICES.every((x) => servicesOf(s).has(x)),
      'dead letters of every service',
    );
    assert.ok(
      dead.every((s) => s.value[1] === '0'),
      `no dead letters: ${JSON.stringify(dead)}`,
    );

    // Business metrics: the order we placed, its fee and the deposit.
    const filled = await expectSeries(
      base,
      'simplebank_orders_total{service="orders",outcome="filled"}',
      (s) => s.length > 0 && Number(s[0]!.value[1]) >= 1,
      'a filled order counted',
    );
    assert.equal(Number(filled[0]!.value[1]), 1);
    await expectSeries(
      base,
      'simplebank_orders_requested_total{service="orders"}',
      (s) => s.length === 1 && s[0]!.value[1] === '1',
      'the order requested counted',
    );
    await expectSeries(
      base,
      'simplebank_orders_placed_total{service="orders"}',
      (s) => s.length === 1 && s[0]!.value[1] === '1',
      'the order placed counted',
    );
    const fee = await expectSeries(
      base,
      'simplebank_fees_charged_cents_total{service="fees"}',
      (s) => s.length === 1,
      'fees charged',
    );
    assert.equal(
      Number(fee[0]!.value[1]),
      Number(order.fee.replace('.', '')),
      `the fee of the order, ${order.fee}, in cents`,
    );
    await expectSeries(
      base,
      'simplebank_payments_total{service="payments",kind="deposit",outcome="completed"}',
      (s) => s.length === 1 && s[0]!.value[1] === '1',
      'the deposit counted',
    );
    await expectSeries(
      base,
      'simplebank_saga_oldest_active_age_seconds{service="orders",saga_type="PlaceOrder"}',
      (s) => s.length === 3,
      'saga age gauge',
    );

    // The recording rules' inputs evaluate: the latency SLI of the gateway is a ratio in [0, 1].
    const sli = await query(
      base,
      'sum(simplebank_http_server_duration_seconds_bucket{service="gateway",le="0.1"}) / sum(simplebank_http_server_duration_seconds_count{service="gateway"})',
    );
    assert.equal(sli.length, 1);
    assert.ok(Number(sli[0]!.value[1]) >= 0 && Number(sli[0]!.value[1]) <= 1, `SLI ${JSON.stringify(sli)}`);
  } finally {
    if (child && child.exitCode === null) {
      const gone = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child!.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    }
    await system.stop();
    await stopPrivateServer();
    await rm(dir, { recursive: true, force: true });
  }
});
