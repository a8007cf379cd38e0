/**
 * Traces, for real: an OTLP/HTTP receiver (the chassis's testing `otlpReceiver`, collecting the JSON
 * bodies POSTed to /v1/traces) and the fixture services. One RPC post → its event → the audit
 * handler is one trace whose spans link up client → server → producer → consumer; log lines carry the span ids.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { formatTraceparent, parseTraceparent, samplerFromEnvironment, otlpTracesUrl } from '../src/index.ts';
import {
  SPAN_KIND,
  eventually,
  otlpReceiver,
  spanAttribute,
  startTestSystem,
  type OtlpReceiver,
  type TestSystem,
} from '../src/testing/index.ts';
import { auditService, ledgerContract, ledgerService } from './fixtures/services.ts';

let receiver: OtlpReceiver;
let system: TestSystem;
const saved = { ...process.env };

before(async () => {
  receiver = await otlpReceiver();
  // The runtime reads the OTEL_* variables of its environment (here process.env) when it starts.
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
  process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/json';
  process.env.OTEL_BSP_SCHEDULE_DELAY = '50';
  delete process.env.OTEL_SERVICE_NAME;
  delete process.env.OTEL_TRACES_SAMPLER;
  system = await startTestSystem([ledgerService, auditService]);
});

after(async () => {
  await system?.stop({ drop: true });
  await receiver?.close();
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
});

describe('OpenTelemetry traces', () => {
  it('an RPC, the event it publishes and its handling are one trace: client → server → producer → consumer', async () => {
    const root = formatTraceparent({ traceId: 'a1'.repeat(16), spanId: 'b2'.repeat(8), sampled: true });
    const call = (await import('../src/messaging/rpc.ts')).caller(system.transport, 'test', () => ({
      correlationId: 'trace-test',
      traceparent: root,
      identity: { customerId: 'test', role: 'system' },
    }));
    await call(ledgerContract, 'post', { account: 'traced', cents: 700 }, { idempotencyKey: 'traced-1' });

    const traceId = parseTraceparent(root)!.traceId;
    const spans = await eventually(() => {
      const mine = receiver.spans.filter((s) => s.traceId === traceId);
      return mine.some((s) => s.kind === SPAN_KIND.CONSUMER) ? mine : undefined;
    });
    const client = spans.find((s) => s.kind === SPAN_KIND.CLIENT && s.name === 'ledger/post');
    const server = spans.find((s) => s.kind === SPAN_KIND.SERVER && s.name === 'ledger/post');
    const producer = spans.find((s) => s.kind === SPAN_KIND.PRODUCER);
    const consumer = spans.find((s) => s.kind === SPAN_KIND.CONSUMER);
    assert.ok(client && server && producer && consumer, `spans: ${spans.map((s) => `${s.kind}:${s.name}`).join(', ')}`);
    assert.equal(client.parentSpanId, 'b2'.repeat(8), 'the client span continues the caller’s traceparent');
    assert.equal(server.parentSpanId, client.spanId);
    assert.equal(producer.parentSpanId, server.spanId);
    assert.equal(consumer.parentSpanId, producer.spanId);
    assert.equal(spanAttribute(client, 'rpc.system'), 'simplebank');
    assert.equal(spanAttribute(server, 'rpc.service'), 'ledger');
    assert.equal(spanAttribute(server, 'rpc.method'), 'post');
    assert.equal(spanAttribute(consumer, 'messaging.destination.name'), ledgerContract.events.Posted.type);
    // Per service: the attribute on every span, and one resource per service in a multi-service process.
    assert.equal(spanAttribute(server, 'simplebank.service'), 'ledger');
    assert.equal(server.service, 'ledger');
    assert.equal(consumer.service, 'audit');
    assert.equal(spanAttribute(consumer, 'simplebank.service'), 'audit');
    assert.ok(
      receiver.contentTypes.every((t) => t.startsWith('application/json')),
      'OTLP/HTTP with JSON bodies',
    );

    // The envelope the audit handler got carries the producer span as its traceparent.
    const { rows } = await system.databases
      .get('audit')!
      .db.query<{ message_id: string }>('SELECT message_id FROM audit_log WHERE account = $1', ['traced']);
    assert.equal(rows.length, 1);
  });

  it('a refused RPC is recorded on the client span as an error with an exception event', async () => {
    const root = formatTraceparent({ traceId: 'c3'.repeat(16), spanId: 'd4'.repeat(8), sampled: true });
    const call = (await import('../src/messaging/rpc.ts')).caller(system.transport, 'test', () => ({
      correlationId: 'trace-test-2',
      traceparent: root,
    }));
    await assert.rejects(
      call(ledgerContract, 'post', { account: 'broke', cents: -5 }, { idempotencyKey: 'broke-1' }),
      /Not enough money/,
    );
    const client = await eventually(() =>
      receiver.spans.find((s) => s.traceId === 'c3'.repeat(16) && s.kind === SPAN_KIND.CLIENT),
    );
    assert.equal(client.status?.code, 2, 'status ERROR');
    assert.equal(spanAttribute(client, 'error.type'), 'insufficient_funds');
    assert.ok(
      client.events?.some((e) => e.name === 'exception'),
      'an exception event',
    );
    const server = await eventually(() =>
      receiver.spans.find((s) => s.traceId === 'c3'.repeat(16) && s.kind === SPAN_KIND.SERVER),
    );
    assert.equal(spanAttribute(server, 'rpc.response.status_code'), 'insufficient_funds');
  });

  it('reads the sampler and the endpoint from OTEL_* variables', () => {
    assert.match(samplerFromEnvironment({}).toString(), /ParentBased\{root=AlwaysOnSampler/);
    assert.match(
      samplerFromEnvironment({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }).toString(),
      /TraceIdRatioBased\{0.25\}/,
    );
    assert.equal(otlpTracesUrl({}), undefined);
    assert.equal(
      otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }),
      'http://collector:4318/v1/traces',
    );
    assert.equal(
      otlpTracesUrl({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:4318/traces',
      }),
      'http://b:4318/traces',
    );
  });
});
