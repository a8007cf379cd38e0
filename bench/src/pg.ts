/**
 * PostgreSQL figures, on the embedded server SimpleBank itself runs on:
 * - the commit floor: `BEGIN; INSERT; COMMIT` from a pool of 10, as fast as it goes, in a database
 *   of our own (so SimpleBank's counters stay clean) — the most commits/s this server gives on this
 *   machine, against which commits per order become a ceiling on orders/s;
 * - SimpleBank's commits: sum(xact_commit) over its databases in pg_stat_database.
 *
 * pg_stat_database lags: a backend flushes its counters at most once a second while busy and within
 * 10 s once idle. Readings are therefore taken after a settle pause (see the callers).
 */
import pg from 'pg';
import { round } from './hist.ts';

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export interface CommitFloor {
  pool: number;
  seconds: number;
  /** BEGIN; INSERT; COMMIT per second. */
  commitsPerSec: number;
  /** A single autocommitted INSERT per second (no BEGIN/COMMIT round trips). */
  autocommitPerSec: number;
}

async function hammer(
  pool: pg.Pool,
  clients: number,
  ms: number,
  statement: (c: pg.PoolClient) => Promise<void>,
): Promise<number> {
  let count = 0;
  const until = Date.now() + ms;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      const c = await pool.connect();
      try {
        while (Date.now() < until) {
          await statement(c);
          count++;
        }
      } finally {
        c.release();
      }
    }),
  );
  return count;
}

export async function commitFloor(
  serverUrl: string,
  options: { seconds: number; pool?: number },
): Promise<CommitFloor> {
  const size = options.pool ?? 10;
  const database = `bench_floor_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  // The server may go away under us (Ctrl-C stops SimpleBank): an error, not a crash.
  admin.on('error', () => {});
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${database}`);
    await admin.query(`CREATE DATABASE ${database}`);
    const pool = new pg.Pool({ connectionString: withDatabase(serverUrl, database), max: size });
    pool.on('error', () => {});
    try {
      await pool.query(
        'CREATE TABLE floor (id bigserial PRIMARY KEY, payload text NOT NULL, at timestamptz NOT NULL DEFAULT now())',
      );
      const payload = 'x'.repeat(160);
      const ms = options.seconds * 1000;
      const tx = await hammer(pool, size, ms, async (c) => {
        await c.query('BEGIN');
        await c.query('INSERT INTO floor (payload) VALUES ($1)', [payload]);
        await c.query('COMMIT');
      });
      const auto = await hammer(pool, size, ms / 2, async (c) => {
        await c.query('INSERT INTO floor (payload) VALUES ($1)', [payload]);
      });
      return {
        pool: size,
        seconds: options.seconds,
        commitsPerSec: round(tx / options.seconds),
        autocommitPerSec: round(auto / (options.seconds / 2)),
      };
    } finally {
      await pool.end();
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
    await admin.end();
  }
}

/** xact_commit per SimpleBank database (`simplebank_<service>`), as the statistics show it now. */
export async function commitCounters(serverUrl: string): Promise<Record<string, number>> {
  const c = new pg.Client({ connectionString: serverUrl });
  c.on('error', () => {});
  await c.connect();
  try {
    const res = await c.query<{ datname: string; xact_commit: string }>(
      "SELECT datname, xact_commit FROM pg_stat_database WHERE datname LIKE 'simplebank\\_%'",
    );
    return Object.fromEntries(res.rows.map((r) => [r.datname.replace(/^simplebank_/, ''), Number(r.xact_commit)]));
  } finally {
    await c.end();
  }
}

export function sum(counters: Record<string, number>): number {
  return Object.values(counters).reduce((a, b) => a + b, 0);
}

/** after − before, per database. */
export function delta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]));
}
