/**
 * The ambient context of the work in progress (request, message, saga step): what every log line
 * and every outgoing message should carry without each call passing it along.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface WorkContext {
  service?: string;
  requestId?: string;
  correlationId?: string;
  traceId?: string;
  spanId?: string;
  traceparent?: string;
  customerId?: string;
  orderId?: string;
  /** Absolute deadline, epoch ms. */
  deadline?: number;
}

const storage = new AsyncLocalStorage<WorkContext>();

export function currentContext(): WorkContext | undefined {
  return storage.getStore();
}

/** Runs `fn` with `fields` added to the current context. */
export function withContext<T>(fields: WorkContext, fn: () => T): T {
  const parent = storage.getStore();
  return storage.run(parent ? { ...parent, ...fields } : { ...fields }, fn);
}
