/**
 * A service's PostgreSQL database: a pool, transactions, and LISTEN for wake-ups. The service owns
 * this database; no other service reads or writes it.
 */
import pg from 'pg';
import { UnavailableError, databaseAway } from '../errors.ts';

export type Row = Record<string, unknown>;

export interface Queryable {
  query<R extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<pg.QueryResult<R>>;
}

export interface DatabaseOptions {
  url: string;
  /** Used in the pool's application_name and in logs. */
  name: string;
  maxConnections?: number;
  /**
   * How long a query or transaction waits for a free connection before it fails with a retryable
   * `database_busy` (503) instead of queueing without bound. Default 5000 ms.
   */
  connectionTimeoutMs?: number;
}

/**
 * The pool's connections hear their own 'error' from birth. A connection can break at any moment
 * (the server restarting: 57P01), also while checked out and between two queries, where pg emits
 * 'error' on the client and, with no listener, on the process. The error also fails the query in
 * progress, and a broken client's next query fails: the code using it sees that and releases it
 * with the error (the pool drops it). One listener here, so no path that checks a client out can
 * forget it (found by test:chaos: an orders process exited at a PostgreSQL restart).
 */
class PoolClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    this.on('error', () => {});
  }

  /** A query with parameters goes as a prepared statement (see statementName). */
  override query(...args: unknown[]): any {
    const [text, values, callback] = args;
    if (typeof text === 'string' && Array.isArray(values) && values.length > 0 && callback === undefined) {
      const name = statementName(text);
      if (name) return super.query({ name, text, values });
    }
    return (super.query as (...a: unknown[]) => unknown)(...args);
  }
}

/**
 * Statements are prepared once per connection and then only bound and executed: PostgreSQL skips
 * parsing, analysis and (once it settles on a generic plan) planning, which measured as much server
 * time per order as executing (`npm run bench:count -- --statements`). The same text gets the same
 * name in every connection of this process. Bounded: past MAX_PREPARED distinct texts (SQL built
 * with values in its text would otherwise grow every connection without end), new texts go unnamed.
 */
const prepared = new Map<string, string>();
const MAX_PREPARED = 2000;

function statementName(text: string): string | undefined {
  let name = prepared.get(text);
  if (name === undefined && prepared.size < MAX_PREPARED) {
    name = `chassis_${prepared.size}`;
    prepared.set(text, name);
  }
  return name;
}

export class Database implements Queryable {
  readonly pool: pg.Pool;
  readonly name: string;
  private readonly url: string;
  private listener: pg.Client | undefined;
  private readonly channels = new Map<string, Set<(payload: string) => void>>();
  private closed = false;

  constructor(options: DatabaseOptions) {
    this.name = options.name;
    this.url = options.url;
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.maxConnections ?? 10,
      application_name: options.name,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: options.connectionTimeoutMs ?? 5000,
      Client: PoolClient,
    });
    // An idle client's connection can drop (server restart); the pool replaces it. Without a
    // listener, pg would raise the error on the process.
    this.pool.on('error', () => {});
  }

  query<R extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<pg.QueryResult<R>> {
    return this.pool.query<R>(sql, params as unknown[] | undefined).catch(busyOrThrow);
  }

  /** A client of the pool for a transaction, to be released (with the error, if it broke). */
  connect(): Promise<pg.PoolClient> {
    return this.pool.connect().catch(busyOrThrow);
  }

  /** Runs `fn` in one transaction: committed if it resolves, rolled back if it throws. */
  async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.connect();
    let result: T;
    try {
      await client.query('BEGIN');
      result = await fn(client);
      await client.query('COMMIT');
    } catch (err) {
      // A connection that cannot roll back is broken: released with the error, the pool drops it.
      const broken = await client.query('ROLLBACK').then(
        () => undefined,
        (e: Error) => e,
      );
      client.release(broken);
      throw err;
    }
    client.release();
    return result;
  }

  /** True when a trivial query answers. */
  async ping(): Promise<boolean> {
    try {
      await this.pool.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Calls `fn` on every NOTIFY on `channel`. Notifications are wake-ups only: whoever listens must
   * also poll, since a notification sent while the listening connection was down is lost.
   */
  async listen(channel: string, fn: (payload: string) => void): Promise<() => void> {
    let set = this.channels.get(channel);
    if (!set) {
      this.channels.set(channel, (set = new Set()));
      await this.ensureListener()
        .then((l) => l?.query(`LISTEN "${channel}"`))
        .catch(() => {});
    }
    set.add(fn);
    return () => set.delete(fn);
  }

  private async ensureListener(): Promise<pg.Client | undefined> {
    if (this.listener || this.closed) return this.listener;
    const client = new pg.Client({ connectionString: this.url, application_name: `${this.name}:listen` });
    client.on('notification', (n) => {
      for (const fn of this.channels.get(n.channel) ?? []) fn(n.payload ?? '');
    });
    client.on('error', () => {
      // The connection dropped: forget it and reconnect later; pollers cover the gap.
      if (this.listener === client) this.listener = undefined;
      setTimeout(() => void this.relisten(), 1000).unref();
    });
    await client.connect();
    this.listener = client;
    return client;
  }

  private async relisten(): Promise<void> {
    if (this.closed || this.listener) return;
    try {
      const client = await this.ensureListener();
      for (const channel of this.channels.keys()) await client?.query(`LISTEN "${channel}"`);
    } catch {
      setTimeout(() => void this.relisten(), 2000).unref();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => {});
    await this.pool.end().catch(() => {});
  }
}

/** pg's pool gives up waiting for a connection with this message: the pool is exhausted, not broken. */
function busyOrThrow(err: unknown): never {
  if (err instanceof Error && /timeout exceeded when trying to connect/i.test(err.message)) {
    throw new UnavailableError('The database connection pool is exhausted; try again', 'database_busy', err);
  }
  throw err;
}

/** The URL of database `name` on the server of `serverUrl` (same host, port and credentials). */
export function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Creates database `name` on the server if it does not exist yet. */
export async function ensureDatabase(serverUrl: string, name: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`Invalid database name "${name}"`);
  const client = new pg.Client({ connectionString: databaseUrl(serverUrl, 'postgres') });
  // A server shutting down between two statements (57P01) fails the next query; it must not be an
  // unhandled 'error' event, which would kill the process.
  client.on('error', () => {});
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) {
      await client.query(`CREATE DATABASE "${name}"`).catch((err: { code?: string }) => {
        if (err.code !== '42P04' && err.code !== '23505') throw err; // created meanwhile by another process
      });
    }
  } finally {
    await client.end();
  }
}

/** Drops database `name` if it exists (tests). */
export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`Invalid database name "${name}"`);
  const client = new pg.Client({ connectionString: databaseUrl(serverUrl, 'postgres') });
  // A server shutting down between two statements (57P01) fails the next query; it must not be an
  // unhandled 'error' event, which would kill the process.
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/**
 * Runs `fn` until the database answers it: a service started while PostgreSQL restarts waits for it
 * (with back-off, up to `timeoutMs`) instead of exiting. Any other error is thrown at once.
 */
export async function untilDatabaseAnswers<T>(
  log: { warn(o: object, msg: string): void },
  fn: () => Promise<T>,
  what = 'the database',
  timeoutMs = 120_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const away = databaseAway(err) || (err as { code?: string }).code === 'database_busy';
      if (!away || Date.now() > until) throw err;
      log.warn({ err, attempt }, `${what}: the database does not answer yet; trying again`);
      await new Promise((r) => setTimeout(r, Math.min(5000, 200 * 2 ** Math.min(attempt, 5))));
    }
  }
}
