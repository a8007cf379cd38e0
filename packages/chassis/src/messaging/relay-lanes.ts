/**
 * The relay's lanes: rows with one aggregate key go through one lane, one at a time, in order;
 * lanes run in parallel, so one slow aggregate does not hold the others. A row is on its way from
 * the moment it is queued until its mark is through (`inFlight`).
 */
import { setMaxListeners } from 'node:events';
import type { Logger } from '../observability/logger.ts';
import { backoffDelay, sleep, within } from '../resilience/backoff.ts';
import type { Transport } from '../transport/transport.ts';
import type { OutboxRow } from './outbox.ts';
import type { PublishedMarks } from './relay-marks.ts';

export interface LaneOptions {
  /** A publish not confirmed by then counts as failed and is tried again (default 15 000). */
  publishTimeoutMs?: number;
  /** See sweep() (default 60 000). */
  staleAfterMs?: number;
  onPublished?: (lagMs: number, destination: string) => void;
}

export class RelayLanes {
  private readonly lanes = new Map<string, OutboxRow[]>();
  /** Rows on their way, by outbox id, with when they were queued. */
  readonly inFlight = new Map<string, number>();
  private laneIdle: Array<() => void> = [];
  private stopping = false;
  private readonly abort = new AbortController();

  constructor(
    private readonly transport: Transport,
    private readonly log: Logger,
    private readonly marks: PublishedMarks,
    private readonly options: LaneOptions,
    private readonly onPublishFailed: (reason: string) => void,
  ) {
    // Every lane waiting out a broker outage sleeps on this one signal: many listeners are expected.
    setMaxListeners(0, this.abort.signal);
  }

  /** Lanes stop after the publish in progress; rows not sent are no longer in flight. */
  stop(): void {
    this.stopping = true;
    this.abort.abort();
  }

  /** Queues a row on its lane (once: a row handed off and fetched too is sent once). */
  enqueue(row: OutboxRow): void {
    if (this.inFlight.has(row.id)) return;
    this.inFlight.set(row.id, Date.now());
    const lane = row.aggregate_key ?? `#${row.id}`;
    const queue = this.lanes.get(lane);
    if (queue) queue.push(row);
    else {
      this.lanes.set(lane, [row]);
      void this.runLane(lane);
    }
  }

  private async runLane(lane: string): Promise<void> {
    const queue = this.lanes.get(lane)!;
    let failures = 0;
    while (queue.length > 0) {
      const row = queue[0]!;
      try {
        const timeoutMs = this.options.publishTimeoutMs ?? 15_000;
        await within(
          this.transport.publish({
            destination:
              row.kind === 'event'
                ? { kind: 'event', type: row.destination }
                : { kind: 'command', queue: row.destination },
            messageId: row.message_id,
            body: row.body,
          }),
          timeoutMs,
          () => new Error(`publish not confirmed within ${timeoutMs} ms`),
        );
        queue.shift();
        failures = 0;
        this.marks.add(row.id);
        this.options.onPublished?.(Date.now() - row.created_at.getTime(), row.destination);
      } catch (err) {
        if (this.stopping) break;
        failures++;
        this.onPublishFailed(`publish failed: ${(err as Error).message}`);
        if (failures === 1 || failures % 20 === 0)
          this.log.warn({ err, destination: row.destination, failures }, 'outbox relay could not publish; will retry');
        await sleep(backoffDelay(failures, { baseMs: 100, capMs: 5000 }) + 50, this.abort.signal);
      }
    }
    // Rows this lane did not send (on stop) are no longer in flight: the next start sends them.
    for (const row of queue) this.inFlight.delete(row.id);
    this.lanes.delete(lane);
    if (this.lanes.size === 0) for (const r of this.laneIdle.splice(0)) r();
  }

  /**
   * A row in flight longer than `staleAfterMs` that no lane holds (published, its mark not yet through, or
   * lost track of) is forgotten, so the next fetch sends it again if it is still unmarked: whatever
   * kept it, the outbox's promise is that a committed row is sent. A second copy is harmless
   * (consumers deduplicate by message id). Test:chaos saw rows stay unsent for minutes after a
   * PostgreSQL restart followed by a broker restart.
   */
  sweep(): void {
    const before = Date.now() - (this.options.staleAfterMs ?? 60_000);
    let oldest = Infinity;
    for (const at of this.inFlight.values()) oldest = Math.min(oldest, at);
    if (oldest > before) return;
    const queued = new Set<string>();
    for (const queue of this.lanes.values()) for (const row of queue) queued.add(row.id);
    const forgotten: string[] = [];
    for (const [id, at] of this.inFlight) {
      if (at <= before && !queued.has(id)) {
        this.inFlight.delete(id);
        forgotten.push(id);
      }
    }
    if (forgotten.length > 0)
      this.log.warn(
        { rows: forgotten.length, ids: forgotten.slice(0, 10) },
        'outbox relay: rows in flight too long with no lane holding them; sending them again if unmarked',
      );
  }

  /** Resolves when no lane is left, or after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<void> {
    if (this.lanes.size === 0) return;
    await Promise.race([new Promise<void>((r) => this.laneIdle.push(r)), sleep(timeoutMs)]);
  }
}
