/**
 * OpenTelemetry traces. One tracer provider per process (BasicTracerProvider), W3C trace context
 * propagation through the chassis' own carriers (the `traceparent` of envelopes, causations, saga
 * rows and HTTP headers), and an OTLP/HTTP exporter behind a BatchSpanProcessor only when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set. Without an
 * exporter spans are still created (no processor: they cost an id and a few objects), so the ids
 * in `traceparent` fields and in every log line are always the ids of real OTel spans.
 *
 * Parents are explicit: a span is started from a `traceparent` string (the carrier at hand), never
 * from an ambient OTel context, so nothing depends on a global context manager; the chassis' work
 * context (AsyncLocalStorage) carries the current span's ids for the logger.
 *
 * Service naming: the resource's `service.name` is `OTEL_SERVICE_NAME`, else the service when the
 * process hosts one, else `simplebank` (the all-in-one mode). Every span also carries
 * `simplebank.service` (the service that made it) and comes from a tracer named after that service
 * (instrumentation scope `simplebank/<service>`). In the all-in-one mode the exporter regroups the
 * spans under one resource per service (`service.name` = the service, `service.namespace` =
 * `simplebank`), so a tracing backend shows gateway, orders, market… as separate services there too.
 *
 * Sampler: `OTEL_TRACES_SAMPLER` (always_on, always_off, traceidratio, parentbased_always_on,
 * parentbased_always_off, parentbased_traceidratio with `OTEL_TRACES_SAMPLER_ARG`); default
 * parentbased_always_on. An unsampled span still has ids (they are logged), it is just not exported.
 *
 * Protocol: `OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL` may be `http/json` (the default here): the
 * installed exporter (@opentelemetry/exporter-trace-otlp-http) speaks OTLP/HTTP with JSON bodies.
 * `http/protobuf` would need @opentelemetry/exporter-trace-otlp-proto, which is not installed: it
 * is reported once and JSON is sent. `grpc` likewise.
 */
import { namespace } from '../config/naming.ts';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  defaultTextMapGetter,
  defaultTextMapSetter,
  trace,
  type Attributes,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import {
  PerServiceResourceExporter,
  serviceAttribute,
  batchProcessor,
  envOf,
  otlpExporter,
  otlpTracesUrl,
  samplerFromEnvironment,
} from './trace-export.ts';

export { SpanKind } from '@opentelemetry/api';
export { serviceAttribute, otlpTracesUrl, samplerFromEnvironment } from './trace-export.ts';

export interface TracingOptions {
  /** The services of this process; one → that is the resource's service.name. */
  services?: readonly string[];
  /** Where the OTEL_* variables are read (default process.env). */
  environment?: NodeJS.ProcessEnv;
  /** Instead of the OTLP exporter (tests): receives every ended, sampled span. */
  exporter?: SpanExporter;
  version?: string;
}

export interface TracingState {
  provider: BasicTracerProvider;
  exporting: boolean;
  serviceName: string;
}

const propagator = new W3CTraceContextPropagator();
let state: (TracingState & { users: number; tracers: Map<string, Tracer> }) | undefined;

function createState(options: TracingOptions): TracingState & { users: number; tracers: Map<string, Tracer> } {
  const environment = options.environment ?? process.env;
  const services = options.services ?? [];
  const serviceName = envOf(environment, 'OTEL_SERVICE_NAME') ?? (services.length === 1 ? services[0]! : namespace());
  const resource = resourceFromAttributes({
    [ATTR_SERVICE_NAME]: serviceName,
    [ATTR_SERVICE_VERSION]: options.version ?? '0.1.0',
    'process.pid': process.pid,
  });
  const url = otlpTracesUrl(environment);
  let exporter: SpanExporter | undefined = options.exporter ?? (url ? otlpExporter(environment, url) : undefined);
  // Several services here and no service name forced: one resource per service.
  if (exporter && services.length !== 1 && !envOf(environment, 'OTEL_SERVICE_NAME'))
    exporter = new PerServiceResourceExporter(exporter, resource);
  const spanProcessors: SpanProcessor[] = exporter ? [batchProcessor(environment, exporter)] : [];
  const provider = new BasicTracerProvider({ resource, sampler: samplerFromEnvironment(environment), spanProcessors });
  return { provider, exporting: exporter !== undefined, serviceName, users: 0, tracers: new Map() };
}

/**
 * Starts the process's tracing (the runtime calls it at start). Counted: each start needs one
 * `stopTracing`; the last stop flushes and shuts the provider down. When tracing is already on,
 * the options of the first start stay in force.
 */
export function startTracing(options: TracingOptions = {}): TracingState {
  if (!state || state.users === 0) {
    // A provider made lazily before any start (no exporter) gives way to a configured one.
    const previous = state;
    state = createState(options);
    if (previous) void previous.provider.shutdown().catch(() => {});
  }
  state.users++;
  return state;
}

/** Flushes what is buffered and shuts the provider down once its last user stops, within `timeoutMs`. */
export async function stopTracing(timeoutMs = 5000): Promise<void> {
  const s = state;
  if (!s || s.users === 0) return;
  s.users--;
  if (s.users > 0) {
    await bounded(s.provider.forceFlush(), timeoutMs);
    return;
  }
  state = undefined;
  await bounded(s.provider.shutdown(), timeoutMs);
}

async function bounded(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => {}), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** The tracer of `service` (spans without an exporter when tracing was never started). */
export function tracerFor(service: string): Tracer {
  state ??= createState({ environment: {} });
  let t = state.tracers.get(service);
  if (!t) {
    t = state.provider.getTracer(`${namespace()}/${service}`);
    state.tracers.set(service, t);
  }
  return t;
}

/** A started span and the ids the chassis carries for it. */
export interface ActiveSpan {
  readonly span: Span;
  readonly traceId: string;
  readonly spanId: string;
  /** W3C traceparent of this span: what its children are started from. */
  readonly traceparent: string;
  /** The fields of the work context for this span (the logger prints them). */
  readonly logFields: { traceId: string; spanId: string; traceparent: string };
  setAttributes(attributes: Attributes): void;
  /** Records `err` (status ERROR and an exception event). */
  fail(err: unknown, message?: string): void;
  /** Ends the span once; `err` is recorded first. */
  end(err?: unknown): void;
}

export interface StartSpanOptions {
  kind?: SpanKind;
  /** The parent's traceparent; none (or an invalid one) starts a new trace. */
  parent?: string | undefined;
  attributes?: Attributes;
}

function contextFrom(traceparent: string | undefined) {
  if (!traceparent) return ROOT_CONTEXT;
  return propagator.extract(ROOT_CONTEXT, { traceparent }, defaultTextMapGetter);
}

/** The W3C traceparent of `span`. */
export function traceparentOf(span: Span): string {
  const carrier: Record<string, string> = {};
  propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, defaultTextMapSetter);
  return carrier.traceparent!;
}

export function recordError(span: Span, err: unknown, message?: string): void {
  const e = err instanceof Error ? err : new Error(typeof err === 'string' ? err : JSON.stringify(err));
  span.recordException(e);
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') span.setAttribute('error.type', code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: message ?? e.message });
}

/** Starts a span of `service`, child of `options.parent`. */
export function startSpan(service: string, name: string, options: StartSpanOptions = {}): ActiveSpan {
  const span = tracerFor(service).startSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: { [serviceAttribute()]: service, ...options.attributes } },
    contextFrom(options.parent),
  );
  const sc = span.spanContext();
  const traceparent = traceparentOf(span);
  let ended = false;
  return {
    span,
    traceId: sc.traceId,
    spanId: sc.spanId,
    traceparent,
    logFields: { traceId: sc.traceId, spanId: sc.spanId, traceparent },
    setAttributes: (attributes) => void span.setAttributes(attributes),
    fail: (err, message) => recordError(span, err, message),
    end(err) {
      if (ended) return;
      ended = true;
      if (err !== undefined) recordError(span, err);
      span.end();
    },
  };
}
