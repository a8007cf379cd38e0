/**
 * The consumer path every event and command takes, whatever the transport:
 *   parse → check the envelope and the data against the contract → inbox + handler in one
 *   transaction → commit → acknowledge.
 * A message that can never be handled (unparseable, schema-invalid, unknown type, or failing with a
 * non-retryable error) goes to the dead-letter store at once; one that fails for a technical reason
 * is redelivered with exponential back-off and jitter, and dead-lettered after the maximum attempts —
 * unless it failed because a database or dependency is away: an outage is not the message's fault
 * (and storing a dead letter needs the database too), so those are redelivered, capped back-off,
 * until it is back. Either way the queue keeps moving: a poison message never blocks it.
 */
import { attributeName, namespace } from '../config/naming.ts';
import { isValid, validationErrors } from '../contract/validation.ts';
import type { Database } from '../db/database.ts';
import { toAppError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { SpanKind, startSpan, type ActiveSpan } from '../observability/tracing.ts';
import { backoffDelay, type BackoffPolicy } from '../resilience/backoff.ts';
import type { PoolClient } from 'pg';
import type { MessageContext, MessageHandlerDef, Tx } from './service.ts';
import type { Delivery, Settlement } from '../transport/transport.ts';
import { addDeadLetter } from '../messaging/dead-letters.ts';
import { Envelope } from '../messaging/envelope.ts';
import { recordAllInInbox, recordInInbox } from '../messaging/inbox.ts';

export interface ConsumerOptions {
  service: string;
  db: Database;
  log: Logger;
  metrics: Metrics;
  maxAttempts: number;
  backoff: BackoffPolicy;
  /** Builds the handler's context around its open transaction, under the consumer span `span`. */
  context(
    envelope: Envelope,
    client: import('pg').PoolClient,
    span: ActiveSpan,
  ): { ctx: MessageContext; tx: Tx & { committed: Array<() => void> }; run<T>(fn: () => T): T };
}

export type HandleResult =
  | { outcome: 'handled' }
  | { outcome: 'duplicate' }
  | { outcome: 'skipped' }
  | { outcome: 'dead'; reason: string }
  | { outcome: 'retry'; reason: string; outage: boolean };

/** The consumer name of a handler: it names the queue and keys the inbox. */
export function consumerName(service: string, def: MessageHandlerDef<any>): string {
  return `${service}.${def.name ?? def.message.type}`;
}

/** One attempt at handling `body`; never throws. */
export async function handleMessage(
  def: MessageHandlerDef<any>,
  body: string,
  options: ConsumerOptions,
): Promise<HandleResult> {
  const checked = checkMessage(def, body);
  return 'outcome' in checked ? checked : handleChecked(def, checked.envelope, options);
}

/** The checks before any transaction: parse, envelope, type, data, `when`. An envelope to handle, or the outcome. */
export function checkMessage(def: MessageHandlerDef<any>, body: string): { envelope: Envelope } | HandleResult {
  let envelope: Envelope;
  try {
    envelope = JSON.parse(body) as Envelope;
  } catch (err) {
    return { outcome: 'dead', reason: `unparseable message: ${(err as Error).message}` };
  }
  if (!isValid(Envelope, envelope)) {
    return { outcome: 'dead', reason: `invalid envelope: ${JSON.stringify(validationErrors(Envelope, envelope, 5))}` };
  }
  if (envelope.type !== def.message.type) {
    return {
      outcome: 'dead',
      reason: `unexpected message type ${envelope.type} (consumer handles ${def.message.type})`,
    };
  }
  // Tolerant reader: the schema decides; unknown fields pass unless the schema forbids them.
  if (!isValid(def.message.data, envelope.data)) {
    return {
      outcome: 'dead',
      reason: `data does not match ${def.message.type}: ${JSON.stringify(validationErrors(def.message.data, envelope.data, 5))}`,
    };
  }
  if (def.when && !def.when(envelope.data as never)) return { outcome: 'skipped' };
  return { envelope };
}

/** The consumer span, child of the producer span that wrote the message (the envelope's traceparent). */
function consumerSpan(service: string, consumer: string, envelope: Envelope): ActiveSpan {
  return startSpan(service, `${envelope.type} process`, {
    kind: SpanKind.CONSUMER,
    parent: envelope.traceparent,
    attributes: {
      'messaging.system': namespace(),
      'messaging.operation.type': 'process',
      'messaging.destination.name': envelope.type,
      'messaging.message.id': envelope.id,
      'messaging.consumer.group.name': consumer,
      [attributeName('correlation_id')]: envelope.correlationId,
    },
  });
}

/** One message for one handler: the handler, the message, and the handling's span and consumer name. */
interface Handling {
  def: MessageHandlerDef<any>;
  envelope: Envelope;
  span: ActiveSpan;
  consumer: string;
}

/**
 * Where a handler runs: the transaction's connection, the consumer's options, and the after-commit
 * hooks its handlers add to.
 */
interface InTransaction {
  client: PoolClient;
  options: ConsumerOptions;
  hooks: Array<() => void>;
}

/** Inbox, then the handler, in the caller's transaction: false when the inbox had the message (a duplicate). */
async function applyMessage(handling: Handling, within: InTransaction): Promise<boolean> {
  const { envelope, consumer } = handling;
  if (!(await recordInInbox(within.client, consumer, envelope.id, envelope.type))) return false;
  await runHandler(handling, within);
  return true;
}

/** The handler of a message already recorded in the inbox, in the transaction of `within.client`. */
async function runHandler({ def, envelope, span }: Handling, { client, options, hooks }: InTransaction): Promise<void> {
  const { ctx, tx, run } = options.context(envelope, client, span);
  await run(() => def.handler(envelope.data, ctx));
  hooks.push(...tx.committed);
}

/** How long after its creation the message's effect committed (handled only: a duplicate's effect is older). */
function observeLag(options: ConsumerOptions, consumer: string, envelope: Envelope): void {
  const created = Date.parse(envelope.time);
  if (Number.isFinite(created))
    options.metrics.messageLag.observe(
      { service: options.service, consumer },
      Math.max(0, Date.now() - created) / 1000,
    );
}

function runHooks(hooks: Array<() => void>): void {
  for (const hook of hooks) {
    try {
      hook();
    } catch {
      // a nudge only
    }
  }
}

/** A checked message in a transaction of its own; never throws. */
async function handleChecked(
  def: MessageHandlerDef<any>,
  envelope: Envelope,
  options: ConsumerOptions,
): Promise<HandleResult> {
  const consumer = consumerName(options.service, def);
  const span = consumerSpan(options.service, consumer, envelope);
  try {
    const hooks: Array<() => void> = [];
    const applied = await options.db.transaction((client) =>
      applyMessage({ def, envelope, span, consumer }, { client, options, hooks }),
    );
    runHooks(hooks);
    if (applied) observeLag(options, consumer, envelope);
    else span.setAttributes({ [attributeName('duplicate')]: true });
    span.end();
    return applied ? { outcome: 'handled' } : { outcome: 'duplicate' };
  } catch (err) {
    const e = toAppError(err);
    span.setAttributes({ [attributeName('retryable')]: e.retryable });
    span.end(err);
    return e.retryable
      ? { outcome: 'retry', reason: `${e.code}: ${e.message}`, outage: OUTAGE_CODES.has(e.code) }
      : { outcome: 'dead', reason: `${e.code}: ${e.message}` };
  }
}

/**
 * Checked messages in one transaction (group commit): their inbox rows in one statement, then
 * each new one's handler in arrival order; one commit for all. Undefined when any of them failed: the transaction is rolled
 * back whole, and the caller handles each on its own, so each gets its own outcome.
 */
async function handleTogether(
  def: MessageHandlerDef<any>,
  envelopes: Envelope[],
  options: ConsumerOptions,
): Promise<HandleResult[] | undefined> {
  const consumer = consumerName(options.service, def);
  const spans = envelopes.map((e) => consumerSpan(options.service, consumer, e));
  for (const span of spans) span.setAttributes({ [attributeName('batch_size')]: envelopes.length });
  try {
    const hooks: Array<() => void> = [];
    const applied = await options.db.transaction(async (client) => {
      const fresh = await recordAllInInbox(client, consumer, envelopes);
      for (const [i, envelope] of envelopes.entries())
        if (fresh[i]) await runHandler({ def, envelope, span: spans[i]!, consumer }, { client, options, hooks });
      return fresh;
    });
    runHooks(hooks);
    return applied.map((a, i) => {
      if (a) observeLag(options, consumer, envelopes[i]!);
      else spans[i]!.setAttributes({ [attributeName('duplicate')]: true });
      spans[i]!.end();
      return a ? { outcome: 'handled' } : { outcome: 'duplicate' };
    });
  } catch (err) {
    for (const span of spans) span.end(err);
    return undefined;
  }
}

/**
 * Group commit for a handler with `batch`: while one transaction of the consumer runs, the
 * deliveries that arrive wait, and go together in the next one (up to `max`). A quiet consumer
 * handles each message at once, alone; a busy one commits once per batch instead of once per
 * message. One transaction of the consumer at a time, so the handler must only touch its own
 * database (no calls out while the batch's rows are locked).
 */
class GroupCommit {
  private readonly waiting: Array<{ envelope: Envelope; resolve: (r: HandleResult) => void }> = [];
  private running = false;
  private lingering: NodeJS.Timeout | undefined;

  constructor(
    private readonly def: MessageHandlerDef<any>,
    private readonly options: ConsumerOptions,
    private readonly max: number,
    private readonly lingerMs: number,
  ) {}

  handle(body: string): Promise<HandleResult> {
    const checked = checkMessage(this.def, body);
    if ('outcome' in checked) return Promise.resolve(checked);
    return new Promise((resolve) => {
      this.waiting.push({ envelope: checked.envelope, resolve });
      if (this.running) return;
      // A full batch goes at once; otherwise a lingering consumer gives the next moments' messages a
      // chance to share the commit (the timer is not unref'd: a stopping process still handles them).
      if (this.lingerMs > 0 && this.waiting.length < this.max) {
        this.lingering ??= setTimeout(() => void this.drain(), this.lingerMs);
        return;
      }
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    clearTimeout(this.lingering);
    this.lingering = undefined;
    this.running = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, this.max);
        const together =
          batch.length > 1
            ? await handleTogether(
                this.def,
                batch.map((b) => b.envelope),
                this.options,
              )
            : undefined;
        if (together) {
          for (const [i, b] of batch.entries()) b.resolve(together[i]!);
          continue;
        }
        for (const b of batch) b.resolve(await handleChecked(this.def, b.envelope, this.options));
      }
    } finally {
      this.running = false;
    }
  }
}

/** Deliveries a consumer holds at once unless its handler says otherwise (`prefetch`). */
export const DEFAULT_PREFETCH = 16;

/** Retryable failures that say a database or a dependency is away, not that this message is at fault. */
const OUTAGE_CODES = new Set(['database_unavailable', 'dependency_unavailable']);

function messageMeta(body: string): { id: string | null; type: string | null } {
  try {
    const parsed = JSON.parse(body) as { id?: unknown; type?: unknown };
    return {
      id: typeof parsed.id === 'string' ? parsed.id : null,
      type: typeof parsed.type === 'string' ? parsed.type : null,
    };
  } catch {
    return { id: null, type: null };
  }
}

/** The transport-facing handler of one subscription. */
export function messageConsumer(
  def: MessageHandlerDef<any>,
  options: ConsumerOptions,
): (delivery: Delivery) => Promise<Settlement> {
  const consumer = consumerName(options.service, def);
  const maxAttempts = def.maxAttempts ?? options.maxAttempts;
  const group = def.batch
    ? new GroupCommit(
        def,
        options,
        def.batch === true ? (def.prefetch ?? DEFAULT_PREFETCH) : def.batch,
        def.lingerMs ?? 0,
      )
    : undefined;
  return async (delivery) => {
    const started = process.hrtime.bigint();
    const result = group ? await group.handle(delivery.body) : await handleMessage(def, delivery.body, options);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    options.metrics.messageHandlerDuration.observe(
      { service: options.service, consumer, message_type: def.message.type, outcome: result.outcome },
      seconds,
    );
    if (result.outcome === 'handled' || result.outcome === 'duplicate' || result.outcome === 'skipped')
      return { outcome: 'ack' };
    if (result.outcome === 'retry' && (delivery.attempt < maxAttempts || result.outage)) {
      const delayMs = backoffDelay(delivery.attempt, options.backoff);
      options.log.warn(
        { consumer, attempt: delivery.attempt, delayMs, reason: result.reason },
        'message handling failed; will redeliver',
      );
      return { outcome: 'retry', delayMs };
    }
    const meta = messageMeta(delivery.body);
    const reason =
      result.outcome === 'retry' ? `failed ${delivery.attempt} times; last: ${result.reason}` : result.reason;
    try {
      await addDeadLetter(options.db, {
        consumer,
        messageId: meta.id,
        messageType: meta.type ?? def.message.type,
        body: delivery.body,
        reason,
        attempts: delivery.attempt,
      });
    } catch (err) {
      // Cannot store it: keep it on the queue rather than lose it.
      options.log.error({ err, consumer }, 'could not store a dead letter; will redeliver');
      return { outcome: 'retry', delayMs: backoffDelay(delivery.attempt, options.backoff) };
    }
    options.metrics.deadLettered.inc({
      service: options.service,
      consumer,
      reason: result.outcome === 'retry' ? 'max_attempts' : 'unprocessable',
    });
    options.log.error(
      { consumer, messageId: meta.id, messageType: meta.type, attempts: delivery.attempt, reason },
      'message moved to the dead-letter store',
    );
    return { outcome: 'ack' };
  };
}
