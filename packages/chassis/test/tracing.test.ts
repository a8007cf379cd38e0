/**
 * Traces, for real: an OTLP/HTTP receiver (a node:http server collecting the JSON bodies POSTed to
 * /v1/traces) and the fixture services. One RPC post → its event → the audit handler is one trace
 * whose spans link up client → server → producer → consumer; log lines carry the span ids.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { formatTraceparent, parseTraceparent, samplerFromEnvironment, otlpTracesUrl } from '../src/index.ts';
import { eventually, startTestSystem, type TestSystem } from '../src/testing/index.ts';
import { auditService, ledgerContract, ledgerService } from './fixtures/services.ts';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: { stringValue?: string; intValue?: number | string; boolValue?: boolean } }>;
  status?: { code?: number };
  service: string;
}

const KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 };

/** A tiny OTLP/HTTP (JSON) receiver: every span it got, with its resource's service.name. */
async function otlpReceiver(): Promise<{
  url: string;
  spans: OtlpSpan[];
  contentTypes: string[];
  close(): Promise<void>;
}> {
  const spans: OtlpSpan[] = [];
  const contentTypes: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') {
        contentTypes.push(String(req.headers['content-type']));
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          resourceSpans: Array<{
            resource: { attributes: OtlpSpan['attributes'] };
            scopeSpans: Array<{ spans: OtlpSpan[] }>;
          }>;
        };
        for (const rs of body.resourceSpans) {
          const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
          for (const ss of rs.scopeSpans) for (const s of ss.spans) spans.push({ ...s, service });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    contentTypes,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function attr(span: OtlpSpan, key: string): unknown {
  const v = span.attributes.find((a) => a.key === key)?.value;
  return v?.stringValue ?? v?.intValue ?? v?.boolValue;
}

let receiver: Awaited<ReturnType<typeof otlpReceiver>>;
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
      return mine.some((s) => s.kind === KIND.CONSUMER) ? mine : undefined;
    });
    const client = spans.find((s) => s.kind === KIND.CLIENT && s.name === 'ledger/post');
    const server = spans.find((s) => s.kind === KIND.SERVER && s.name === 'ledger/post');
    const producer = spans.find((s) => s.kind === KIND.PRODUCER);
    const consumer = spans.find((s) => s.kind === KIND.CONSUMER);
    assert.ok(client && server && producer && consumer, `spans: ${spans.map((s) => `${s.kind}:${s.name}`).join(', ')}`);
    assert.equal(client.parentSpanId, 'b2'.repeat(8), 'the client span continues the caller’s traceparent');
    assert.equal(server.parentSpanId, client.spanId);
    assert.equal(producer.parentSpanId, server.spanId);
    assert.equal(consumer.parentSpanId, producer.spanId);
    assert.equal(attr(client, 'rpc.system'), 'simplebank');
    assert.equal(attr(server, 'rpc.service'), 'ledger');
    assert.equal(attr(server, 'rpc.method'), 'post');
    assert.equal(attr(consumer, 'messaging.destination.name'), ledgerContract.events.Posted.type);
    // Per service: the attribute on every span, and one resource per service in a multi-service process.
    assert.equal(attr(server, 'simplebank.service'), 'ledger');
    assert.equal(server.service, 'ledger');
    assert.equal(consumer.service, 'audit');
    assert.equal(attr(consumer, 'simplebank.service'), 'audit');
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
      receiver.spans.find((s) => s.traceId === 'c3'.repeat(16) && s.kind === KIND.CLIENT),
    );
    assert.equal(client.status?.code, 2, 'status ERROR');
    assert.equal(attr(client, 'error.type'), 'insufficient_funds');
    assert.ok(
      (client as unknown as { events?: Array<{ name: string }> }).events?.some((e) => e.name === 'exception'),
      'an exception event',
    );
    const server = await eventually(() =>
      receiver.spans.find((s) => s.traceId === 'c3'.repeat(16) && s.kind === KIND.SERVER),
    );
    assert.equal(attr(server, 'rpc.response.status_code'), 'insufficient_funds');
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
