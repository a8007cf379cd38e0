/**
 * The outbox relay's marks: rows the transport confirmed are marked published soon after (within
 * MARK_DELAY_MS), in one UPDATE for all confirmed meanwhile. At most one UPDATE runs at a time, and rows confirmed while it
 * runs go in the next, so under load a mark covers many rows. A failed mark is tried again after a
 * pause; until it succeeds the rows stay in the relay's in-flight set (not fetched and sent again).
 */
import type { Database } from '../db/database.ts';
import type { Logger } from '../observability/logger.ts';

const MARK_DELAY_MS = 250;

export class PublishedMarks {
  private readonly ids: string[] = [];
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly db: Database,
    private readonly log: Logger,
    private readonly retryMs: number,
    /** Called with the ids of each successful UPDATE. */
    private readonly onMarked: (ids: readonly string[]) => void,
  ) {}

  /**
   * A row the transport confirmed: marked with the next UPDATE, which waits MARK_DELAY_MS to take
   * the rows confirmed meanwhile too — one commit for many messages even at a modest rate. A crash
   * in that window sends those rows again, which consumers deduplicate (the inbox).
   */
  add(id: string): void {
    this.ids.push(id);
    this.schedule(MARK_DELAY_MS);
  }

  /** Marks what is pending now (and waits for an UPDATE already running). Never rejects. */
  flush(): Promise<void> {
    if (!this.flushing) {
      const run = this.markAll().then(
        () => true,
        (err: unknown) => {
          this.log.warn({ err }, 'outbox relay could not mark rows published; will retry');
          return false;
        },
      );
      this.flushing = run.then((ok) => {
        this.flushing = undefined;
        if (ok) this.schedule(MARK_DELAY_MS);
        else if (!this.stopped) this.schedule(this.retryMs);
      });
    }
    return this.flushing;
  }

  /** No more scheduled UPDATEs (a last `flush()` may follow); unmarked rows are sent again by the next start. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(delayMs: number): void {
    if (this.stopped || this.flushing || this.timer || this.ids.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delayMs);
  }

  private async markAll(): Promise<void> {
    while (this.ids.length > 0) {
      const ids = this.ids.splice(0);
      try {
        await this.db.query(
          'UPDATE chassis_outbox SET published_at = clock_timestamp(), attempts = attempts + 1 WHERE id = ANY($1::bigint[])',
          [ids],
        );
      } catch (err) {
        this.ids.unshift(...ids);
        throw err;
      }
      this.onMarked(ids);
    }
  }
}
