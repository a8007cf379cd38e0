/**
 * W3C Trace Context (`traceparent`: version-traceid-spanid-flags). The chassis propagates it across
 * HTTP, RPC, events, commands and saga steps; the OpenTelemetry exporter builds on these ids.
 */
import { randomBytes } from 'node:crypto';

export interface TraceParent {
  traceId: string;
  spanId: string;
  sampled: boolean;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export function parseTraceparent(header: string | undefined): TraceParent | undefined {
  if (!header) return undefined;
  const m = TRACEPARENT.exec(header.trim());
  if (!m) return undefined;
  const [, traceId, spanId, flags] = m;
  if (/^0+$/.test(traceId!) || /^0+$/.test(spanId!)) return undefined;
  return { traceId: traceId!, spanId: spanId!, sampled: (parseInt(flags!, 16) & 1) === 1 };
}

export function formatTraceparent(t: TraceParent): string {
  return `00-${t.traceId}-${t.spanId}-${t.sampled ? '01' : '00'}`;
}

export function newSpanId(): string {
  return randomBytes(8).toString('hex');
}

/** A new span in the trace of `parent`, or the first span of a new trace. */
export function childOf(parent: TraceParent | undefined): TraceParent {
  return parent
    ? { traceId: parent.traceId, spanId: newSpanId(), sampled: parent.sampled }
    : { traceId: randomBytes(16).toString('hex'), spanId: newSpanId(), sampled: true };
}
