/**
 * One order is one trace: the all-in-one system exports its spans by OTLP/HTTP (JSON) to a receiver
 * in this test; an order placed through the public API with a `traceparent` header yields one trace
 * with spans of gateway, orders, transactions, fees, market and the exchange, down to the
 * settlement (transactions' settleTrade). No timing assertions: everything is polled.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startAllInOne, type AllInOne } from '@simplebank/chassis';
import {
  eventually,
  otlpReceiver,
  spanAttribute,
  stopPrivateServer,
  testServerUrl,
  type OtlpReceiver,
  type OtlpSpan,
} from '@simplebank/chassis/testing';
import { services } from '../../apps/cli/src/services.ts';
import { Bank, Http, expectStatus } from '../e2e/system.ts';

let receiver: OtlpReceiver;
let system: AllInOne | undefined;
let bank: Bank;
let http: Http;

before(async () => {
  receiver = await otlpReceiver();
  const environment: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(environment)) if (k.startsWith('OTEL_')) delete environment[k];
  system = await startAllInOne({
    services,
    environment: {
      ...environment,
      DATABASE_URL: await testServerUrl(),
      SIMPLEBANK_DB_PREFIX: `otel_${randomBytes(4).toString('hex')}`,
      PORT: '0',
      LOG_LEVEL: 'silent',
      PRICE_TICK_MS: '0',
      PAYMENT_PROVIDER_DELAY_MS: '20',
      EXCHANGE_FILL_DELAY_MS: '50',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    },
  });
  http = new Http(system.runtime.address);
  bank = new Bank(http);
});

after(async () => {
  await system?.stop();
  await stopPrivateServer();
  await receiver?.close();
});

describe('one order, one trace', () => {
  it('spans of gateway, orders, transactions, fees, market and the exchange, down to the settlement', async () => {
    const { customer, account } = await bank.fundedCustomer('1000.00');
    await bank.pinPrice('IBM', '50.00');

    const traceId = randomBytes(16).toString('hex');
    const callerSpan = randomBytes(8).toString('hex');
    const res = await customer.http.post(
      '/v1/orders',
      { accountId: account.id, assetId: 'IBM', side: 'buy', quantity: '2' },
      { headers: { traceparent: `00-${traceId}-${callerSpan}-01` } },
    );
    expectStatus(res, 202, 'place order');
    await bank.waitForOrder(customer, res.body.id, ['filled']);

    const needed = ['gateway', 'orders', 'transactions', 'fees', 'market', 'exchange'];
    const isSettlement = (s: OtlpSpan) => s.kind === 2 && s.name === 'transactions/settleTrade';
    const spans = await eventually(
      () => {
        const mine = receiver.spans.filter((s) => s.traceId === traceId);
        const services = new Set(mine.map((s) => spanAttribute(s, 'simplebank.service')));
        // A parent span ends (and is exported) after its children: wait for the parents too.
        const ids = new Set(mine.map((s) => s.spanId));
        const waitingForParent = mine.some(
          (s) => s.parentSpanId && s.parentSpanId !== callerSpan && !ids.has(s.parentSpanId),
        );
        return needed.every((n) => services.has(n)) && mine.some(isSettlement) && !waitingForParent ? mine : undefined;
      },
      {
        timeoutMs: 30_000,
        message: `trace ${traceId} incomplete: ${JSON.stringify([...new Set(receiver.spans.filter((s) => s.traceId === traceId).map((s) => `${spanAttribute(s, 'simplebank.service')}:${s.name}`))])}`,
      },
    );

    // The gateway continued the caller's trace: its server span is the child of the header's span.
    const gateway = spans.find(
      (s) =>
        s.kind === 2 &&
        spanAttribute(s, 'simplebank.service') === 'gateway' &&
        spanAttribute(s, 'http.route') === '/v1/orders',
    );
    assert.ok(gateway, 'the gateway server span of POST /v1/orders');
    assert.equal(gateway.parentSpanId, callerSpan);
    // One resource per service in the all-in-one mode.
    for (const n of needed)
      assert.ok(
        spans.some((s) => s.service === n),
        `a span under the resource service.name=${n}`,
      );
    // The exchange served market's HTTP call in the same trace (server span, child of market's client span).
    const exchangeServer = spans.find(
      (s) =>
        s.kind === 2 &&
        spanAttribute(s, 'simplebank.service') === 'exchange' &&
        spanAttribute(s, 'http.request.method') === 'POST',
    );
    assert.ok(exchangeServer, 'the exchange server span of the placement');
    const marketClient = spans.find((s) => s.spanId === exchangeServer.parentSpanId);
    assert.ok(
      marketClient && marketClient.kind === 3 && spanAttribute(marketClient, 'simplebank.service') === 'market',
      'market’s client span is its parent',
    );
    // Every span but the gateway's links to a parent inside the trace.
    const ids = new Set(spans.map((s) => s.spanId));
    const orphans = spans.filter((s) => s !== gateway && !ids.has(s.parentSpanId ?? ''));
    assert.deepEqual(
      orphans.map((s) => s.name),
      [],
      'no span without its parent in the trace',
    );
  });
});
