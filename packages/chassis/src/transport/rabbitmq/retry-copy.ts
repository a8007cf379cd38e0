/**
 * A delivery's attempt number, and the publish options of its retry's copy: the same message with
 * the next attempt number, without what the broker added when dead-lettering it.
 */
import type { ConsumeMessage, Options } from 'amqplib';
import { ATTEMPT_HEADER } from './topology.ts';

/** Headers the broker adds on dead-lettering; not carried into a retry's copy (they only grow). */
const BROKER_HEADERS = /^x-(death|first-death-|last-death-)/;

export function attemptOf(msg: ConsumeMessage): number {
  const raw = msg.properties.headers?.[ATTEMPT_HEADER] as unknown;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : NaN;
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

export function retryCopyOptions(msg: ConsumeMessage, attempt: number): Options.Publish {
  const headers: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(msg.properties.headers ?? {})) if (!BROKER_HEADERS.test(k)) headers[k] = v;
  headers[ATTEMPT_HEADER] = attempt;
  const p = msg.properties;
  const options: Options.Publish = { persistent: true, headers };
  if (p.messageId) options.messageId = p.messageId as string;
  if (p.contentType) options.contentType = p.contentType as string;
  if (p.type) options.type = p.type as string;
  if (p.correlationId) options.correlationId = p.correlationId as string;
  return options;
}
