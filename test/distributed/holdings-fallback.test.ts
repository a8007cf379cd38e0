/**
 * Holdings when market-data is gone, end to end in the distributed mode: `market-data`'s process is
 * killed, and GET /v1/accounts/{id}/holdings still answers 200 — `stale` (prices cached at most five
 * minutes ago) for a position whose price holdings has seen, `unavailable` (quantities, no values) for
 * one whose price it never saw — never an error because prices are missing (domain.md, Holdings).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, it } from 'node:test';
import { eventually, stopPrivateServer, testServerUrl } from '@simplebank/chassis/testing';
import { startDistributed, type DistributedSystem } from '../../apps/cli/src/distributed.ts';
import { Bank, Http } from '../e2e/system.ts';
import { privateVhost } from './chaos.ts';

const BASE_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const run = randomBytes(4).toString('hex');
let system: DistributedSystem | undefined;
let vhost: Awaited<ReturnType<typeof privateVhost>>;
let bank: Bank;

before(async () => {
  vhost = await privateVhost(BASE_URL, `simplebank-holdings-${run}`);
  const amqpUrl = vhost?.url ?? BASE_URL;
  system = await startDistributed({
    quiet: !process.env.E2E_LOG,
    environment: {
      ...process.env,
      PORT: '0',
      AMQP_URL: amqpUrl,
      DATABASE_URL: process.env.SIMPLEBANK_TEST_PG_URL || (await testServerUrl()),
      SIMPLEBANK_DB_PREFIX: `hold_${run}`,
      // No random walk: a price reaches holdings only when it asks market-data (or a pin publishes one).
      PRICE_TICK_MS: '0',
      PAYMENT_PROVIDER_DELAY_MS: '20',
      EXCHANGE_FILL_DELAY_MS: '50',
      LOG_LEVEL: 'warn',
    },
  });
  bank = new Bank(new Http(system.gatewayUrl));
});

after(async () => {
  await system?.stop();
  await vhost?.remove();
  await stopPrivateServer();
});

it('with market-data down, holdings answer stale from the cache, or unavailable without one — never an error', async () => {
  const { customer, account } = await bank.fundedCustomer('10000.00');
  // Seen: holdings values this position live once (caching its price).
  await bank.trade(customer, { accountId: account.id, assetId: 'KO', side: 'buy', quantity: '3' });
  await eventually(async () =>
    (await bank.holdings(customer, account.id)).positions.some((p: { assetId: string }) => p.assetId === 'KO'),
  );
  const live = await bank.holdings(customer, account.id);
  assert.equal(live.valuation, 'live');

  const other = await bank.fundedCustomer('10000.00');
  // Never seen: bought, but holdings is not asked while market-data is up, and no price is published.
  await bank.trade(other.customer, { accountId: other.account.id, assetId: 'PEP', side: 'buy', quantity: '2' });

  // market-data dies and stays dead.
  const marketData = system!.processes.get('market-data')!;
  process.kill(-marketData.pid!, 'SIGKILL');
  await eventually(() => marketData.exitCode !== null || marketData.signalCode !== null);

  const stale = await bank.holdings(customer, account.id);
  assert.equal(stale.valuation, 'stale', JSON.stringify(stale));
  const ko = stale.positions.find((p: { assetId: string }) => p.assetId === 'KO');
  assert.equal(ko.quantity, '3');
  assert.ok(ko.price && ko.value, 'a stale valuation still has prices and values');

  const unavailable = await eventually(async () => {
    const h = await bank.holdings(other.customer, other.account.id);
    return h.positions.some((p: { assetId: string }) => p.assetId === 'PEP') ? h : undefined;
  });
  assert.equal(unavailable.valuation, 'unavailable', JSON.stringify(unavailable));
  const pep = unavailable.positions.find((p: { assetId: string }) => p.assetId === 'PEP');
  assert.equal(pep.quantity, '2');
  assert.equal(pep.value, undefined);
  assert.equal(unavailable.totalValue, undefined);
});
