/**
 * What an operator asks of a service through its system methods (runtime/system.ts): its dead
 * letters (list, replay, discard), a saga's state, a breaker forced open, its readiness and golden signals; and the housekeeping that
 * forgets old inbox records and idempotency keys.
 */
import type { Database } from '../db/database.ts';
import { keyCursor } from '../contract/cursor.ts';
import { AppError, NotFoundError, ValidationError } from '../errors.ts';
import { getDeadLetter, listDeadLetters, resolveDeadLetter } from '../messaging/dead-letters.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { redact } from '../observability/redact.ts';
import { breakers } from '../resilience/breaker.ts';
import type { SagaRunner } from '../saga/index.ts';
import type { SagaPosition } from '../saga/store.ts';
import type { SagaStatus } from '../saga/types.ts';
import { consumerName, handleMessage, type ConsumerOptions } from './consumer.ts';
import type { ServiceDefinition } from './service.ts';
import { signalsOf } from './signals.ts';
import type { Transport } from '../transport/transport.ts';

export interface OperationsDeps {
  name: string;
  db: Database;
  transport: Transport;
  log: Logger;
  definition: ServiceDefinition<any>;
  consumerOptions: ConsumerOptions;
  sagas: SagaRunner;
  /** The host's readiness checks (ServiceHost.readiness), answered by `_readiness`. */
  readiness: () => Array<{ name: string; ready: boolean; detail?: string }>;
  /** The process's registry, whose counters `_signals` reads. */
  metrics: Metrics;
  /** RPC requests this service is answering now (RpcEndpoint.inFlight). */
  inFlight: () => number;
}

/** A page of sagas ends at a position (creation time to the microsecond, id): the cursor carries it, opaque. */
const positions = keyCursor();
/** timestamptz as PostgreSQL writes it (`created_at::text`), which it reads back exactly. */
const POSTGRES_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/;
function encodeSagaCursor(p: SagaPosition): string {
  return positions.encode(JSON.stringify([p.createdAt, p.id]));
}
function decodeSagaCursor(cursor: string): SagaPosition {
  const key = positions.decode(cursor);
  try {
    const [createdAt, id] = JSON.parse(key) as unknown[];
    if (typeof createdAt === 'string' && POSTGRES_TIME.test(createdAt) && typeof id === 'string' && id.length <= 200)
      return { createdAt, id };
  } catch {
    // not JSON: refused below
  }
  throw new ValidationError('Invalid cursor', [{ path: 'cursor', message: 'not a cursor this service made' }]);
}

export class ServiceOperations {
  constructor(private readonly deps: OperationsDeps) {}

  /**
   * Inbox records and idempotency keys are kept for a week: far longer than any redelivery or
   * client retry, short enough that the tables stay small. Deleted in batches.
   */
  async forgetOldRecords(retention = '7 days'): Promise<void> {
    const db = this.deps.db;
    try {
      await db.query(
        `DELETE FROM chassis_inbox WHERE ctid IN (SELECT ctid FROM chassis_inbox WHERE processed_at < now() - $1::interval LIMIT 10000)`,
        [retention],
      );
      await db.query(
        `DELETE FROM chassis_idempotency WHERE ctid IN (SELECT ctid FROM chassis_idempotency WHERE created_at < now() - $1::interval LIMIT 10000)`,
        [retention],
      );
    } catch (err) {
      this.deps.log.warn({ err }, 'housekeeping failed; will try again');
    }
  }

  /** Replays a dead letter through its consumer's handler, now, in this process. */
  async replayDeadLetter(id: string): Promise<'handled' | 'duplicate'> {
    const letter = await getDeadLetter(this.deps.db, id);
    if (!letter || letter.status !== 'dead') throw new NotFoundError('No such dead letter');
    const def = (this.deps.definition.handlers ?? []).find((h) => consumerName(this.deps.name, h) === letter.consumer);
    if (!def)
      throw new AppError('replay_failed', `Consumer ${letter.consumer} no longer exists; discard the letter instead`, {
        status: 409,
      });
    const result = await handleMessage(def, letter.body, this.deps.consumerOptions);
    if (result.outcome === 'handled' || result.outcome === 'duplicate' || result.outcome === 'skipped') {
      await resolveDeadLetter(this.deps.db, id, 'replayed');
      // A message its handler no longer concerns itself with (`when`) is done with, as if handled.
      const outcome = result.outcome === 'duplicate' ? 'duplicate' : 'handled';
      this.deps.log.info({ deadLetterId: id, consumer: letter.consumer, outcome }, 'dead letter replayed');
      return outcome;
    }
    await this.deps.db.query(
      `UPDATE chassis_dead_letters SET attempts = attempts + 1, last_failed_at = now(), reason = $2 WHERE id = $1`,
      [id, result.reason.slice(0, 2000)],
    );
    throw new AppError('replay_failed', `Replay failed: ${result.reason}`, { status: 409 });
  }

  /**
   * Publishes again a page of the events this service published (rows its outbox keeps after
   * publishing, for the relay's retention period): same message ids and bodies, so a subscriber that
   * handled one already finds it in its inbox. Pages by outbox id, the order they were first written.
   */
  private async replayEvents(req: {
    types: string[];
    since: string;
    limit?: number;
    cursor?: string;
  }): Promise<{ replayed: number; nextCursor: string | null; retainedSince: string | null }> {
    const limit = req.limit ?? 200;
    const { rows } = await this.deps.db.query<{ id: string; message_id: string; destination: string; body: string }>(
      `SELECT id::text, message_id, destination, body FROM chassis_outbox
        WHERE kind = 'event' AND destination = ANY($1::text[]) AND published_at IS NOT NULL AND created_at >= $2 AND id > $3::bigint
        ORDER BY chassis_outbox.id LIMIT $4`,
      [req.types, req.since, req.cursor ?? '0', limit + 1],
    );
    const page = rows.slice(0, limit);
    for (const r of page)
      await this.deps.transport.publish({
        destination: { kind: 'event', type: r.destination },
        messageId: r.message_id,
        body: r.body,
      });
    const oldest = await this.deps.db.query<{ at: Date | null }>(
      'SELECT min(published_at) AS at FROM chassis_outbox WHERE published_at IS NOT NULL',
    );
    this.deps.log.info({ types: req.types, since: req.since, replayed: page.length }, 'published events replayed');
    return {
      replayed: page.length,
      nextCursor: rows.length > limit ? page[page.length - 1]!.id : null,
      retainedSince: oldest.rows[0]?.at?.toISOString() ?? null,
    };
  }

  /** A system method (`_deadLetters`, `_saga`…: runtime/system.ts) asked of this service. */
  async call(method: string, req: Record<string, unknown>): Promise<unknown> {
    const db = this.deps.db;
    switch (method) {
      case '_deadLetters': {
        const page = await listDeadLetters(db, {
          ...(req.limit ? { limit: req.limit as number } : {}),
          ...(req.cursor ? { cursor: req.cursor as string } : {}),
        });
        return {
          nextCursor: page.nextCursor,
          items: page.items.map((l) => ({
            id: l.id,
            service: this.deps.name,
            consumer: l.consumer,
            messageId: l.messageId,
            messageType: l.messageType,
            reason: l.reason,
            attempts: l.attempts,
            firstFailedAt: l.firstFailedAt,
            lastFailedAt: l.lastFailedAt,
          })),
        };
      }
      case '_deadLetter': {
        const letter = await getDeadLetter(db, req.id as string);
        if (!letter || letter.status !== 'dead') throw new NotFoundError('No such dead letter');
        let message: unknown;
        try {
          message = JSON.parse(letter.body);
        } catch {
          message = letter.body;
        }
        const { id, consumer, messageId, messageType, reason, attempts, firstFailedAt, lastFailedAt } = letter;
        return {
          id,
          service: this.deps.name,
          consumer,
          messageId,
          messageType,
          reason,
          attempts,
          firstFailedAt,
          lastFailedAt,
          message: redact(message),
        };
      }
      case '_replayDeadLetter':
        return { id: req.id, outcome: await this.replayDeadLetter(req.id as string) };
      case '_discardDeadLetter':
        if (!(await resolveDeadLetter(db, req.id as string, 'discarded')))
          throw new NotFoundError('No such dead letter');
        return { id: req.id };
      case '_replayEvents':
        return this.replayEvents(req as { types: string[]; since: string; limit?: number; cursor?: string });
      case '_saga': {
        const saga = await this.deps.sagas.inspect(req.id as string);
        if (!saga) throw new NotFoundError('No such saga');
        return saga;
      }
      case '_sagas': {
        const limit = (req.limit as number | undefined) ?? 50;
        const after = req.cursor !== undefined ? decodeSagaCursor(req.cursor as string) : undefined;
        const rows = await this.deps.sagas.list({
          ...(req.status ? { status: req.status as SagaStatus } : {}),
          limit: limit + 1,
          ...(after ? { after } : {}),
        });
        const page = rows.slice(0, limit);
        return {
          items: page.map((r) => r.saga),
          nextCursor: rows.length > limit ? encodeSagaCursor(page.at(-1)!.position) : null,
        };
      }
      case '_readiness': {
        const checks = this.deps.readiness();
        return { service: this.deps.name, ready: checks.every((c) => c.ready), checks };
      }
      case '_signals':
        // Less the _signals request itself, which holds a slot while it is answered.
        return signalsOf(
          this.deps.name,
          this.deps.metrics,
          db,
          this.deps.transport,
          Math.max(0, this.deps.inFlight() - 1),
        );
      case '_breaker': {
        const breaker = breakers.find(this.deps.name, req.target as string);
        if (!breaker) throw new NotFoundError(`${this.deps.name} has no breaker towards ${req.target as string}`);
        if (req.state === 'open') breaker.forceOpen();
        else breaker.release();
        this.deps.log.warn({ target: breaker.target, state: breaker.state }, 'circuit breaker set by an operator');
        return { target: breaker.target, state: breaker.state };
      }
      default:
        throw new NotFoundError(`${this.deps.name} has no RPC method ${method}`, 'unknown_method');
    }
  }
}
