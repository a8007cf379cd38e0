/**
 * A tiny DataLoader: per GraphQL request, `load(key)` calls made while one level of the query is
 * being resolved are collected and handed to the batch function together, each key once; answers
 * are cached for the rest of the request. So `accounts { orders { asset { name } } }` looks the
 * assets of every order of every account up in one batch.
 *
 * When a batch goes is the `Scheduler`'s, shared by the request's loaders: once nothing is in
 * flight (every batch already sent has settled) and the continuations of what settled have run
 * (setImmediate). So the keys of one query level are collected even when they come from siblings
 * answered at different times (`currentHoldings { asset }` and `orders { asset }` of five accounts:
 * one assets batch, not one when the holdings arrive and another when the orders do). The price:
 * a level waits for the slowest batch of the level above.
 */
export class Scheduler {
  private inFlight = 0;
  private armed = false;
  private readonly waiting: Array<() => void> = [];

  /** Run `send` when the request is quiet. */
  schedule(send: () => void): void {
    this.waiting.push(send);
    this.arm();
  }

  /** Count a batch in flight until it settles. */
  track(batch: Promise<unknown>): void {
    this.inFlight++;
    const settled = () => {
      this.inFlight--;
      this.arm();
    };
    batch.then(settled, settled);
  }

  private arm(): void {
    if (this.armed || this.inFlight > 0 || this.waiting.length === 0) return;
    this.armed = true;
    setImmediate(() => {
      this.armed = false;
      if (this.inFlight > 0) return; // armed again when they settle
      for (const send of this.waiting.splice(0)) send();
    });
  }
}

export type BatchFn<K, V> = (keys: readonly K[]) => Promise<ReadonlyArray<V | Error>>;

interface Pending<K, V> {
  key: K;
  resolve: (value: V) => void;
  reject: (err: unknown) => void;
}

export class Loader<K, V> {
  private readonly cache = new Map<string, Promise<V>>();
  private queue: Array<Pending<K, V>> = [];
  /** How many times the batch function ran (tests and logs). */
  batches = 0;

  constructor(
    private readonly batch: BatchFn<K, V>,
    private readonly options: { keyOf?: (key: K) => string; maxBatchSize?: number; scheduler?: Scheduler } = {},
  ) {}

  private id(key: K): string {
    return this.options.keyOf ? this.options.keyOf(key) : String(key);
  }

  load(key: K): Promise<V> {
    const id = this.id(key);
    const cached = this.cache.get(id);
    if (cached) return cached;
    const promise = new Promise<V>((resolve, reject) => {
      this.queue.push({ key, resolve, reject });
      if (this.queue.length === 1) {
        if (this.options.scheduler) this.options.scheduler.schedule(() => this.dispatch());
        else setImmediate(() => this.dispatch());
      }
    });
    this.cache.set(id, promise);
    return promise;
  }

  /** Remember a value found otherwise (e.g. accounts listed by `accounts`), unless already loaded. */
  prime(key: K, value: V): void {
    const id = this.id(key);
    if (!this.cache.has(id)) this.cache.set(id, Promise.resolve(value));
  }

  private dispatch(): void {
    const queue = this.queue;
    this.queue = [];
    const size = this.options.maxBatchSize ?? Number.POSITIVE_INFINITY;
    for (let i = 0; i < queue.length; i += size) {
      const chunk = queue.slice(i, i + size);
      this.batches++;
      let answer: Promise<ReadonlyArray<V | Error>>;
      try {
        answer = this.batch(chunk.map((p) => p.key));
      } catch (err) {
        answer = Promise.reject(err);
      }
      this.options.scheduler?.track(answer);
      answer
        .then((values) => {
          if (values.length !== chunk.length)
            throw new Error(`a batch of ${chunk.length} keys answered ${values.length} values`);
          chunk.forEach((p, j) => {
            const v = values[j]!;
            if (v instanceof Error) p.reject(v);
            else p.resolve(v);
          });
        })
        .catch((err: unknown) => {
          for (const p of chunk) p.reject(err);
        });
    }
  }
}
