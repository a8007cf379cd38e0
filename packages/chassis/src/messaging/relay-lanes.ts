/**
 * The relay's lanes: rows with one aggregate key go through one lane, one at a time, in order (the
 * next goes once the transport confirmed the last, or fixed its place); lanes run in parallel, so
 * one slow aggregate does not hold the others. A row is on its way from
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
  /** A row is on its way in order (queued), with its lag from commit. */
  onPublished?: (lagMs: number, destination: string) => void;
}

export class RelayLanes {
  private readonly lanes = new Map<string, OutboxRow[]>();
  /** Rows on their way, by outbox id, with when they were queued. */
  readonly inFlight = new Map<string, number>();
  private laneIdle: Array<() => void> = [];
  /** Confirms still to come of rows whose lanes went on (their place was fixed first). */
  private readonly confirming = new Set<Promise<void>>();
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
        await this.send(row);
        queue.shift();
        failures = 0;
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
    this.notifyIdle();
  }

  /**
   * Publishes a row; resolves when its lane may send the next one: once the transport confirmed it,
   * or earlier once the transport fixed its place (`onOrdered`, the in-memory transport). The row is
   * marked on the confirm either way. A confirm that fails after its place was fixed (the transport
   * closed) leaves the row unmarked and in flight until the sweep forgets it; the next fetch sends it.
   */
  private send(row: OutboxRow): Promise<void> {
    const timeoutMs = this.options.publishTimeoutMs ?? 15_000;
    let ordered = false;
    let abandoned = false; // timed out before its place was fixed: the lane sends the row again
    let onOrdered!: () => void;
    const placed = new Promise<void>((resolve) => (onOrdered = resolve));
    // The relay's lag ends when the message is on its way in order (queued), not when its
    // consumers are done with it: in memory that is the earlier of the two.
    let timed = false;
    const published = () => {
      if (timed) return;
      timed = true;
      this.options.onPublished?.(Date.now() - row.created_at.getTime(), row.destination);
    };
    const confirmed = this.transport
      .publish(
        {
          destination:
            row.kind === 'event'
              ? { kind: 'event', type: row.destination }
              : { kind: 'command', queue: row.destination },
          messageId: row.message_id,
          body: row.body,
        },
        {
          onOrdered: () => {
            ordered = true;
            published();
            onOrdered();
          },
        },
      )
      .then(() => {
        if (abandoned) return;
        this.marks.add(row.id);
        published();
      });
    const settled = confirmed.then(
      () => undefined,
      (err: unknown) => {
        if (ordered && !this.stopping)
          this.log.warn(
            { err, destination: row.destination },
            'outbox relay: a publish failed after it was queued; sent again later',
          );
      },
    );
    this.confirming.add(settled);
    void settled.finally(() => {
      this.confirming.delete(settled);
      this.notifyIdle();
    });
    return within(Promise.race([placed, confirmed]), timeoutMs, () => {
      abandoned = true;
      return new Error(`publish not confirmed within ${timeoutMs} ms`);
    });
  }

  private notifyIdle(): void {
    if (this.lanes.size === 0 && this.confirming.size === 0) for (const r of this.laneIdle.splice(0)) r();
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

  /** Resolves when no lane is left and every confirm is in, or after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<void> {
    if (this.lanes.size === 0 && this.confirming.size === 0) return;
    await Promise.race([new Promise<void>((r) => this.laneIdle.push(r)), sleep(timeoutMs)]);
  }
}
