/**
 * The one logger: pino, one JSON object per line on stdout, with `@timestamp` (UTC, microseconds),
 * `level`, `service`, `version`, `host`, `pid`, `msg`, and the ambient ids (request, correlation,
 * trace, span, customer, order). Everything passed in is redacted first.
 */
import { hostname } from 'node:os';
import pino, { type Logger as PinoLogger } from 'pino';
import { defineSettings, env } from '../config/env.ts';
import { currentContext } from './context.ts';
import { redact, redactString } from './redact.ts';

export type Logger = PinoLogger;

export interface LoggerOptions {
  service: string;
  version?: string;
  level?: string;
  /** Defaults to stdout. */
  destination?: pino.DestinationStream;
}

const hrtimeBase = process.hrtime.bigint();
const epochBaseMicros = BigInt(Date.now()) * 1000n;

/** ISO 8601 UTC with microseconds, monotonic within the process. */
function isoMicros(): string {
  const micros = epochBaseMicros + (process.hrtime.bigint() - hrtimeBase) / 1000n;
  const ms = Number(micros / 1000n);
  const iso = new Date(ms).toISOString(); // ...sss Z
  return `${iso.slice(0, -1)}${String(micros % 1000n).padStart(3, '0')}Z`;
}

let sharedStdout: pino.DestinationStream | undefined;

/** One stdout stream for every logger of the process, so lines of different services never interleave. */
export function stdoutDestination(): pino.DestinationStream {
  return (sharedStdout ??= pino.destination({ dest: 1, sync: false }));
}

/** The level of every logger of the process that is not given one; checked at start with every other setting. */
export const logSettings = defineSettings({
  LOG_LEVEL: env.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
});

function settingsLevel(): string {
  try {
    return logSettings.value.LOG_LEVEL;
  } catch {
    return 'info'; // a bad LOG_LEVEL: the start-up check names it, and this logger says so
  }
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? settingsLevel(),
      messageKey: 'msg',
      base: { service: options.service, version: options.version ?? '0.1.0', host: hostname(), pid: process.pid },
      timestamp: () => `,"@timestamp":"${isoMicros()}"`,
      formatters: {
        level: (label) => ({ level: label }),
        log: (obj) => redact(obj) as Record<string, unknown>,
      },
      mixin: () => {
        const ctx = currentContext();
        if (!ctx) return {};
        const fields: Record<string, string> = {};
        if (ctx.requestId) fields.requestId = ctx.requestId;
        if (ctx.correlationId) fields.correlationId = ctx.correlationId;
        if (ctx.traceId) fields.traceId = ctx.traceId;
        if (ctx.spanId) fields.spanId = ctx.spanId;
        if (ctx.customerId) fields.customerId = ctx.customerId;
        if (ctx.orderId) fields.orderId = ctx.orderId;
        return fields;
      },
      hooks: {
        // The message string is redacted too, so an interpolated secret never reaches the line.
        logMethod(args, method) {
          const redacted = args.map((a) => (typeof a === 'string' ? redactString(a) : a)) as Parameters<typeof method>;
          return method.apply(this, redacted);
        },
      },
      serializers: { err: (e: unknown) => redact(e) },
    },
    options.destination ?? stdoutDestination(),
  );
}
