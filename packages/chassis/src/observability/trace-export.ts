/**
 * Where spans go: the sampler, the OTLP/HTTP exporter and its batch processor, configured by the
 * standard OTEL_* variables (see tracing.ts for which are read).
 */
import { attributeName, namespace } from '../config/naming.ts';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type ReadableSpan,
  type Sampler,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

/** The attribute every span carries: the service that made it. */
/** The span attribute naming the service that made the span: `<namespace>.service`. */
export const serviceAttribute = (): string => attributeName('service');

let warnedProtocol = false;

export function envOf(environment: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = environment[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

/** The sampler named by OTEL_TRACES_SAMPLER (default parentbased_always_on). */
export function samplerFromEnvironment(environment: NodeJS.ProcessEnv = process.env): Sampler {
  const name = (envOf(environment, 'OTEL_TRACES_SAMPLER') ?? 'parentbased_always_on').toLowerCase();
  const argRaw = envOf(environment, 'OTEL_TRACES_SAMPLER_ARG');
  const arg =
    argRaw !== undefined && Number.isFinite(Number(argRaw)) && Number(argRaw) >= 0 && Number(argRaw) <= 1
      ? Number(argRaw)
      : 1;
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(arg);
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(arg) });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/** The OTLP/HTTP traces URL from the environment, or undefined: no export. */
export function otlpTracesUrl(environment: NodeJS.ProcessEnv = process.env): string | undefined {
  const signal = envOf(environment, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  if (signal) return signal;
  const base = envOf(environment, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (!base) return undefined;
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}

function parseHeaders(raw: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const part of (raw ?? '').split(',')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    try {
      headers[decodeURIComponent(part.slice(0, i).trim())] = decodeURIComponent(part.slice(i + 1).trim());
    } catch {
      // a malformed header is skipped, as the SDK does
    }
  }
  return headers;
}

export function otlpExporter(environment: NodeJS.ProcessEnv, url: string): SpanExporter {
  const protocol =
    envOf(environment, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ??
    envOf(environment, 'OTEL_EXPORTER_OTLP_PROTOCOL') ??
    'http/json';
  if (protocol !== 'http/json' && !warnedProtocol) {
    warnedProtocol = true;
    process.emitWarning(
      `OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not supported here (no protobuf/gRPC exporter installed): traces are sent as OTLP/HTTP JSON`,
    );
  }
  const timeout = Number(
    envOf(environment, 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT') ??
      envOf(environment, 'OTEL_EXPORTER_OTLP_TIMEOUT') ??
      10_000,
  );
  const headers = {
    ...parseHeaders(envOf(environment, 'OTEL_EXPORTER_OTLP_HEADERS')),
    ...parseHeaders(envOf(environment, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS')),
  };
  return new OTLPTraceExporter({
    url,
    headers,
    ...(Number.isFinite(timeout) && timeout > 0 ? { timeoutMillis: timeout } : {}),
  });
}

/**
 * In a process hosting several services, hands the exporter each span under its own service's
 * resource (one resource object per service, so the OTLP body groups spans by service).
 */
export class PerServiceResourceExporter implements SpanExporter {
  private readonly resources = new Map<string, Resource>();

  constructor(
    private readonly inner: SpanExporter,
    private readonly base: Resource,
  ) {}

  private resourceFor(service: string): Resource {
    let r = this.resources.get(service);
    if (!r) {
      r = this.base.merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: service, 'service.namespace': namespace() }));
      this.resources.set(service, r);
    }
    return r;
  }

  export(spans: ReadableSpan[], done: Parameters<SpanExporter['export']>[1]): void {
    const regrouped = spans.map((span) => {
      const service = span.attributes[serviceAttribute()];
      if (typeof service !== 'string') return span;
      // Everything else of the span reads through to the original.
      return Object.create(span, { resource: { value: this.resourceFor(service), enumerable: true } }) as ReadableSpan;
    });
    this.inner.export(regrouped, done);
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

function positive(environment: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = Number(envOf(environment, name));
  return Number.isFinite(v) && v > 0 ? v : undefined;
}

/** The batch processor in front of `exporter`, tuned by the OTEL_BSP_* variables. */
export function batchProcessor(environment: NodeJS.ProcessEnv, exporter: SpanExporter): SpanProcessor {
  const scheduledDelayMillis = positive(environment, 'OTEL_BSP_SCHEDULE_DELAY');
  const maxQueueSize = positive(environment, 'OTEL_BSP_MAX_QUEUE_SIZE');
  const maxExportBatchSize = positive(environment, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE');
  const exportTimeoutMillis = positive(environment, 'OTEL_BSP_EXPORT_TIMEOUT');
  return new BatchSpanProcessor(exporter, {
    ...(scheduledDelayMillis ? { scheduledDelayMillis } : {}),
    ...(maxQueueSize ? { maxQueueSize } : {}),
    ...(maxExportBatchSize && (!maxQueueSize || maxExportBatchSize <= maxQueueSize) ? { maxExportBatchSize } : {}),
    ...(exportTimeoutMillis ? { exportTimeoutMillis } : {}),
  });
}
