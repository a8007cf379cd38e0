/**
 * The outbox relay: sends committed outbox rows through the transport, then marks them published.
 *
 * - Woken by LISTEN/NOTIFY at commit (or `wake()`), with a polling fallback (a notification can be
 *   lost) that backs off while nothing turns up (1 s doubling to 30 s), so an idle service's relay
 *   commits next to nothing; a notification still wakes it at once.
 * - In order per aggregate: rows with one key go through one lane, one at a time; lanes run in
 *   parallel, so one slow aggregate does not hold the others.
 * - One relay per database at a time (a session advisory lock), so two instances of a service do
 *   not reorder each other's messages; the other waits as a standby.
 * - A row is marked published only after the transport confirmed it; marks of rows confirmed close
 *   together go in one UPDATE. A crash between send and mark sends the message again: consumers
 *   deduplicate by message id.
 */
import { lockKey } from '../config/naming.ts';
import type pg from 'pg';
import type { Database } from '../db/database.ts';
import type { Logger } from '../observability/logger.ts';
import { sleep } from '../resilience/backoff.ts';
import type { Transport } from '../transport/transport.ts';
import { defineSettings, env } from '../config/env.ts';
import type { OutboxRow } from './outbox.ts';
import { RelayLanes, type LaneOptions } from './relay-lanes.ts';
import { PublishedMarks } from './relay-marks.ts';
import { registerHandOff } from './tx.ts';

/** Published events are kept a day: long enough to replay a read model's recent history, short enough for a small table. */
export const DEFAULT_OUTBOX_RETENTION_HOURS = 24;
export const DEFAULT_OUTBOX_RETENTION_MS = DEFAULT_OUTBOX_RETENTION_HOURS * 60 * 60 * 1000;

/**
 * Every service's outbox retention, one setting for the process: how far back `_replayEvents` (and
 * `simplebank events replay`) can reach, against how large the outbox table grows (about one row per
 * event published in the period).
 */
export const outboxSettings = defineSettings({
  SIMPLEBANK_OUTBOX_RETENTION_HOURS: env.integer({ default: DEFAULT_OUTBOX_RETENTION_HOURS, min: 1, max: 24 * 90 }),
});

export interface RelayOptions extends LaneOptions {
  /** The fallback poll's first interval (ms); doubles while polls find nothing, up to `maxPollIntervalMs`. */
  pollIntervalMs?: number;
  /** The longest fallback poll interval (ms; default 30 000). */
  maxPollIntervalMs?: number;
  batchSize?: number;
  /** Rows being sent at once, across lanes. */
  maxInFlight?: number;
  /** How long published rows are kept (for inspection, and for `_replayEvents`: a read model's history) before they are purged. */
  retentionMs?: number;
}

/** How soon a relay with no room for more rows in flight looks again (no query while still full). */
const FULL_RECHECK_MS = 50;

const LOCK_SQL = 'SELECT pg_try_advisory_lock(hashtext($1)) AS locked';

export class OutboxRelay {
  private readonly pollIntervalMs: number;
  private readonly maxPollIntervalMs: number;
  /** The current fallback poll interval: back to `pollIntervalMs` whenever a fetch finds rows. */
  private pollMs: number;
  private readonly batchSize: number;
  private readonly maxInFlight: number;
  private readonly retentionMs: number;
  private readonly lanes: RelayLanes;
  /** Rows on their way (id → when they were queued): not fetched again until marked, or forgotten (sweep). */
  private readonly marks: PublishedMarks;
  private lockClient: pg.PoolClient | undefined;
  private wakeUp: (() => void) | undefined;
  private pending = false;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private unlisten: (() => void) | undefined;
  private unregister: (() => void) | undefined;
  /** Ids of rows handed off by this process (to know their NOTIFY needs no fetch). */
  private readonly handedOff = new Set<string>();
  private lastPurge = 0;
  /** Rows were marked since the last purge (true at start: an earlier run may have left some). */
  private markedSincePurge = true;
  /** Cycles of the run loop begun, and those waiting for one begun later to end (stop's drain). */
  private cycles = 0;
  private cycleWaiters: Array<{ after: number; resolve: (fetched: number) => void }> = [];
  private healthy = true;
  private lastError: string | undefined;

  constructor(
    private readonly db: Database,
    private readonly transport: Transport,
    private readonly log: Logger,
    private readonly options: RelayOptions = {},
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.maxPollIntervalMs = Math.max(this.pollIntervalMs, options.maxPollIntervalMs ?? 30_000);
    this.pollMs = this.pollIntervalMs;
    this.marks = new PublishedMarks(db, log, this.pollIntervalMs, (ids) => {
      this.markedSincePurge = true;
      for (const id of ids) this.lanes.inFlight.delete(id);
    });
    this.lanes = new RelayLanes(transport, log, this.marks, options, (reason) => (this.lastError = reason));
    this.batchSize = options.batchSize ?? 200;
    this.maxInFlight = options.maxInFlight ?? 1000;
    this.retentionMs = options.retentionMs ?? DEFAULT_OUTBOX_RETENTION_MS;
  }

  async start(): Promise<void> {
    this.unlisten = await this.db.listen('chassis_outbox', (id) => this.notified(id));
    this.unregister = registerHandOff(this.db, (row) => this.handOff(row));
    this.loop = this.run();
  }

  /**
   * A row committed by this process: sent without being fetched, if this relay is the active one
   * (a standby, or a relay stopping, leaves it to the active relay's fetch or the next start).
   */
  handOff(row: OutboxRow): void {
    if (!this.active || this.stopping) return;
    // Bounded like a fetch: past maxInFlight the row waits for a fetch with room. (Unbounded, every
    // order's messages would be sent at once, and with the memory transport, which confirms after the
    // consumer's commit, every consumer would queue for the pool at once.)
    if (this.lanes.inFlight.size >= this.maxInFlight) return this.wake();
    this.handedOff.add(row.id);
    if (this.handedOff.size > 10_000) this.handedOff.clear(); // only to skip fetches; forgetting costs one
    this.lanes.enqueue(row);
  }

  /**
   * NOTIFY of a committed row (its id). One handed off by this process is known: nothing to fetch.
   * Its commit's NOTIFY can overtake the hand-off, so an unknown id is looked at again a moment later.
   */
  private notified(id: string): void {
    const known = () => this.lanes.inFlight.has(id) || this.handedOff.has(id);
    if (!id) return this.wake();
    if (known()) return;
    setTimeout(() => {
      if (!known()) this.wake();
    }, 10).unref();
  }

  /** Asks the relay to look for new rows now. */
  wake(): void {
    this.pending = true;
    this.wakeUp?.();
  }

  health(): { ready: boolean; detail?: string } {
    return this.healthy ? { ready: true } : { ready: false, detail: `outbox relay: ${this.lastError ?? 'failing'}` };
  }

  /** True while this instance holds the relay lock (false for a standby). */
  get active(): boolean {
    return this.lockClient !== undefined;
  }

  /**
   * Sends what is committed (until none is left or `flushTimeoutMs` passes), then stops. Rows left
   * unsent stay in the outbox for the next start.
   */
  async stop(flushTimeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + flushTimeoutMs;
    // Drained when a fetch begun now finds no unsent row and every sent one is marked (no count(*)
    // poll: the fetch the loop makes anyway says it).
    while (this.active && Date.now() < deadline) {
      const fetched = await this.nextCycle(deadline);
      if (fetched === 0 && this.lanes.inFlight.size === 0) break;
      if (this.lanes.inFlight.size > 0) await Promise.race([this.lanes.drain(deadline - Date.now()), sleep(20)]);
      await this.marks.flush();
    }
    this.stopping = true;
    this.lanes.stop();
    this.wakeUp?.();
    this.unlisten?.();
    this.unregister?.();
    await this.loop;
    await this.lanes.drain(Math.max(0, deadline - Date.now()));
    this.marks.stop();
    await this.marks.flush();
    await this.releaseLock();
  }

  /** Wakes the loop; resolves with the rows fetched by the next cycle begun from now (-1: none in time, or it failed). */
  private nextCycle(deadline: number): Promise<number> {
    return new Promise<number>((resolve) => {
      const waiter = { after: this.cycles, resolve };
      this.cycleWaiters.push(waiter);
      const timer = setTimeout(
        () => {
          this.cycleWaiters = this.cycleWaiters.filter((w) => w !== waiter);
          resolve(-1);
        },
        Math.max(0, deadline - Date.now()),
      );
      waiter.resolve = (n) => {
        clearTimeout(timer);
        resolve(n);
      };
      this.wake();
    });
  }

  private endCycle(cycle: number, fetched: number): void {
    const done = this.cycleWaiters.filter((w) => w.after < cycle);
    this.cycleWaiters = this.cycleWaiters.filter((w) => w.after >= cycle);
    for (const w of done) w.resolve(fetched);
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const cycle = ++this.cycles;
      try {
        if (!(await this.acquireLock())) {
          this.endCycle(cycle, -1);
          await this.idle(this.pollIntervalMs * 2);
          continue;
        }
        this.pending = false;
        const fetched = await this.fetch();
        await this.purge();
        this.healthy = true;
        this.endCycle(cycle, fetched);
        // Full (maxInFlight rows on their way): it could not look, so it looks again shortly, as
        // marks make room; a commit's wake-up meanwhile finds it full too. Backing off here left rows
        // unsent for up to the longest poll after an overload, with nothing left to wake it.
        const full = this.lanes.inFlight.size >= this.maxInFlight;
        // Nothing found: the next fallback poll comes later (NOTIFY and wake() still come at once).
        this.pollMs = fetched > 0 || full ? this.pollIntervalMs : Math.min(this.maxPollIntervalMs, this.pollMs * 2);
        if (full) await this.idle(FULL_RECHECK_MS);
        else if (fetched < this.batchSize && !this.pending) await this.idle(this.pollMs);
      } catch (err) {
        this.healthy = false;
        this.lastError = (err as Error).message;
        this.endCycle(cycle, -1);
        this.log.warn({ err }, 'outbox relay cycle failed; retrying');
        await this.releaseLock();
        this.pollMs = this.pollIntervalMs;
        await this.idle(this.pollIntervalMs);
      }
    }
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(t);
        self.wakeUp = undefined;
        resolve();
      }
      this.wakeUp = done;
    });
  }

  private async acquireLock(): Promise<boolean> {
    if (this.lockClient) return true;
    const client = await this.db.connect();
    try {
      const { rows } = await client.query<{ locked: boolean }>(LOCK_SQL, [lockKey('outbox-relay')]);
      if (rows[0]?.locked) {
        client.on('error', (err) => {
          if (this.lockClient !== client) return;
          this.lockClient = undefined;
          client.release(err); // broken: the pool drops it (kept, it would hold a pool slot for good)
          // The database went away (a restart?): notifications sent meanwhile are lost, so look at
          // once and poll at the shortest interval until a fetch succeeds again.
          this.pollMs = this.pollIntervalMs;
          this.wake();
        });
        this.lockClient = client;
        return true;
      }
    } catch (err) {
      client.release(err as Error);
      throw err;
    }
    client.release();
    return false;
  }

  private async releaseLock(): Promise<void> {
    const client = this.lockClient;
    this.lockClient = undefined;
    if (!client) return;
    try {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [lockKey('outbox-relay')]);
      client.release();
    } catch (err) {
      client.release(err as Error);
    }
  }

  /**
   * Fetches unpublished rows not already on their way and queues them on their lanes. Ordered by the
   * column, not by the `id` output alias (text: '10' would come before '9').
   */
  private async fetch(): Promise<number> {
    this.lanes.sweep();
    const room = this.maxInFlight - this.lanes.inFlight.size;
    if (room <= 0) return 0;
    const { rows } = await this.db.query<OutboxRow>(
      `SELECT id::text AS id, kind, destination, aggregate_key, message_id, body, created_at
         FROM chassis_outbox
        WHERE published_at IS NULL AND NOT (id = ANY($1::bigint[]))
        ORDER BY chassis_outbox.id LIMIT $2`,
      [[...this.lanes.inFlight.keys()], Math.min(room, this.batchSize)],
    );
    for (const row of rows) this.lanes.enqueue(row);
    return rows.length;
  }

  /** At most once a minute, and only after rows were marked: an idle relay writes nothing. */
  private async purge(): Promise<void> {
    if (Date.now() - this.lastPurge < 60_000 || !this.markedSincePurge) return;
    this.lastPurge = Date.now();
    this.markedSincePurge = false;
    await this.db.query(
      "DELETE FROM chassis_outbox WHERE published_at < clock_timestamp() - ($1::bigint * interval '1 millisecond')",
      [this.retentionMs],
    );
  }
}
