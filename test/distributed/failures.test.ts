/**
 * SimpleBank in the distributed mode (a process per service, RabbitMQ, PostgreSQL) under failure:
 *  1. services killed with SIGKILL in the middle of a stream of orders (orders, then transactions,
 *     then market) — every saga resumes, nothing is done twice;
 *  2. the broker stopped and started again while orders are being placed — the clients retry with
 *     the same Idempotency-Key, nothing accepted is lost;
 *  3. two instances of `orders` and of `notifications` share the work, and neither does what the
 *     other did.
 * After each: every order terminal and filled, cash exact to the cent from the orders' own fill
 * prices and fees, positions exact, the trial balance zero, one notification per fill.
 *
 * The system is started once for the file (orders and notifications with two instances each) on a
 * RabbitMQ vhost of its own when `rabbitmqctl` can make one (so other systems on the same broker
 * share no queue with it), else on AMQP_URL's vhost. Test 2 stops and starts the whole broker node
 * (`rabbitmqctl stop_app` / `start_app`): anything else using this broker sees the outage too.
 * No timing assertions: end states are polled with `eventually` under generous bounds.
 *
 *   npm run test:distributed -- failures      (or, with a broker and a PostgreSQL of your own:
 *   AMQP_URL=… node --import tsx --test test/distributed/failures.test.ts)
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { eventually, stopPrivateServer, testServerUrl } from '@simplebank/chassis/testing';
import { startDistributed, type DistributedSystem } from '../../apps/cli/src/distributed.ts';
import { Bank, Http } from '../e2e/system.ts';
import {
  assertExactEnd,
  execFileP,
  privateVhost,
  LONG_WAIT_MS,
  metricTotal,
  Observed,
  planOrders,
  sleep,
  stream,
  submit,
  traders,
  waitAllTerminal,
} from './chaos.ts';

const BASE_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const run = randomBytes(4).toString('hex');
let amqpUrl = BASE_URL;
let vhost: Awaited<ReturnType<typeof privateVhost>>;
let system: DistributedSystem | undefined;
let bank: Bank;
let rabbitmqctl = false;

before(async () => {
  // Without rabbitmqctl (a remote broker): the URL's vhost, and the broker-restart test is skipped.
  vhost = await privateVhost(BASE_URL, `simplebank-failures-${run}`);
  rabbitmqctl = vhost !== undefined;
  if (vhost) amqpUrl = vhost.url;
  system = await startDistributed({
    quiet: !process.env.E2E_LOG,
    instances: { orders: 2, notifications: 2 },
    environment: {
      ...process.env,
      PORT: '0',
      AMQP_URL: amqpUrl,
      DATABASE_URL: process.env.SIMPLEBANK_TEST_PG_URL || (await testServerUrl()),
      SIMPLEBANK_DB_PREFIX: `fail_${run}`,
      PRICE_TICK_MS: '0',
      PAYMENT_PROVIDER_DELAY_MS: '20',
      EXCHANGE_FILL_DELAY_MS: '200',
      ORDER_TTL_SECONDS: '60',
      PLACEMENT_WINDOW_SECONDS: '30',
      LOG_LEVEL: process.env.E2E_LOG ? 'info' : 'warn',
    },
  });
  bank = new Bank(new Http(system.gatewayUrl));
});

after(async () => {
  await system?.stop();
  await vhost?.remove();
  await stopPrivateServer();
});

/** Waits until every process of the system answers ready (after a restart of the broker). */
async function allReady(): Promise<void> {
  const sys = system!;
  let notReady: string[] = [];
  await eventually(
    async () => {
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
      return notReady.length === 0;
    },
    { timeoutMs: LONG_WAIT_MS * 2, intervalMs: 500 },
  ).catch(() => assert.fail(`not ready again: ${notReady.join(', ')}`));
}

describe('distributed mode under failure', () => {
  it('kill -9 of orders, transactions and market in the middle of a stream of orders: every order filled once, money exact', async (t) => {
    await bank.pinPrice('AAPL', '20.00');
    await bank.pinPrice('MSFT', '30.00');
    const all = await traders(bank, 6, '5000.00');
    // Up to 72 orders (1..12 shares per customer), 200 ms apart, arriving all the time the services
    // die and come back, and a few more after.
    const plan = planOrders(all, 12, ['AAPL', 'MSFT']);
    const observed = new Observed();
    const killed: string[] = [];
    let chaos!: Promise<void>;
    const flow = stream(bank, plan, observed, 200, {
      until: new Promise((r) => setTimeout(r, 0)).then(() => chaos),
      thenMore: 4,
    });
    const t0 = Date.now();
    let count = 0;
    const at = (what: string) => killed.push(`${what} +${Date.now() - t0} ms (${count} orders sent)`);
    const counting = (async () => {
      for (let n = 1; n <= plan.length; n++) {
        await flow.sent(n);
        count = n;
      }
    })();
    chaos = (async () => {
      await flow.sent(6);
      // Every instance of orders at once (no instance left to take over), then transactions, then market.
      at('kill orders');
      await Promise.all(system!.instances.orders!.map((name) => system!.restart(name, 'SIGKILL')));
      at(`${system!.instances.orders!.join(' and ')} back`);
      await flow.sent(count + 3);
      at('kill transactions');
      await system!.restart('transactions', 'SIGKILL');
      at('transactions back');
      await flow.sent(count + 3);
      at('kill market');
      await system!.restart('market', 'SIGKILL');
      at('market back');
    })();
    await chaos;
    const sent = await flow.done;
    at('stream done');
    void counting;

    const final = await waitAllTerminal(sent);
    t.diagnostic(
      `chaos: ${killed.join(', ')} (not asserted); ${final.size} orders; client retries: ${JSON.stringify(observed.retries)}`,
    );
    if (observed.odd.length) t.diagnostic(`unexpected retryable answers: ${observed.odd.join(' | ')}`);
    await assertExactEnd(bank, all, sent, final);
  });

  it('broker stopped and started during a stream of orders: every accepted order filled, nothing lost, money exact', async (t) => {
    if (!rabbitmqctl) return t.skip('needs rabbitmqctl (the broker on this machine)');
    await bank.pinPrice('KO', '40.00');
    await bank.pinPrice('PEP', '50.00');
    const all = await traders(bank, 6, '8000.00');
    // Up to 60 orders, 200 ms apart, arriving before, during and after the outage.
    const plan = planOrders(all, 10, ['KO', 'PEP']);
    const observed = new Observed();
    const steps: string[] = [];
    let outage!: Promise<void>;
    const flow = stream(bank, plan, observed, 200, {
      until: new Promise((r) => setTimeout(r, 0)).then(() => outage),
      thenMore: 6,
    });
    outage = (async () => {
      await flow.sent(5);
      const t0 = Date.now();
      const at = (what: string) => steps.push(`${what} +${Date.now() - t0} ms`);
      await execFileP('rabbitmqctl', ['stop_app'], { timeout: 120_000 });
      at('stopped');
      try {
        // Orders keep coming while the broker is away (the clients retry what is refused).
        await sleep(3000);
      } finally {
        await execFileP('rabbitmqctl', ['start_app'], { timeout: 120_000 });
        at('started');
      }
    })();
    await outage;
    const sent = await flow.done;
    await allReady();

    const final = await waitAllTerminal(sent);
    t.diagnostic(
      `broker: ${steps.join(', ')} (not asserted); ${final.size} orders; client retries: ${JSON.stringify(observed.retries)}`,
    );
    if (observed.odd.length) t.diagnostic(`unexpected retryable answers: ${observed.odd.join(' | ')}`);
    await assertExactEnd(bank, all, sent, final);
  });

  it('two instances of orders and of notifications share the work, neither doing what the other did', async (t) => {
    await allReady();
    await bank.pinPrice('IBM', '15.00');
    await bank.pinPrice('INTC', '25.00');
    const all = await traders(bank, 8, '5000.00');
    const instances = [...system!.instances.orders!, ...system!.instances.notifications!];
    assert.ok(instances.length === 4, `two instances each: ${instances.join(', ')}`);
    const metric = 'simplebank_message_handler_duration_seconds_count';
    const before = new Map(
      await Promise.all(
        instances.map(async (name) => [name, await metricTotal(system!.ports[name]!, metric)] as const),
      ),
    );

    const plan = planOrders(all, 6, ['IBM', 'INTC']);
    const observed = new Observed();
    await Promise.all(plan.map((s) => submit(bank, s, observed)));
    const final = await waitAllTerminal(plan);
    await assertExactEnd(bank, all, plan, final);

    const handled = new Map(
      await Promise.all(
        instances.map(
          async (name) => [name, (await metricTotal(system!.ports[name]!, metric)) - before.get(name)!] as const,
        ),
      ),
    );
    t.diagnostic(
      `messages handled during this test by instance: ${JSON.stringify(Object.fromEntries(handled))}; client retries: ${JSON.stringify(observed.retries)}`,
    );
    for (const name of instances)
      assert.ok(
        handled.get(name)! > 0,
        `instance ${name} handled no message: ${JSON.stringify(Object.fromEntries(handled))}`,
      );
  });
});
