/**
 * Numbered SQL migrations, applied at start in order, all in one transaction,
 * under a transaction-scoped advisory lock so that two instances starting together do not race: a
 * start whose migrations fail changes nothing. An applied migration whose
 * file has changed stops the start: released migrations are never edited, a new one is added.
 */
import { lockKey } from '../config/naming.ts';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database } from './database.ts';

export interface Migration {
  /** `chassis` for the chassis's own tables, the service name for the service's. */
  scope: string;
  version: number;
  name: string;
  sql: string;
}

const FILE = /^(\d+)[_-](.+)\.sql$/;

/** Reads `NNN_name.sql` files from a folder. */
export async function readMigrations(dir: string, scope: string): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const m = FILE.exec(file);
    if (!m) throw new Error(`Migration file "${file}" in ${dir} must be named NNN_description.sql`);
    migrations.push({ scope, version: Number(m[1]), name: m[2]!, sql: await readFile(join(dir, file), 'utf8') });
  }
  const versions = new Set<number>();
  for (const m of migrations) {
    if (versions.has(m.version)) throw new Error(`Two migrations numbered ${m.version} in ${dir}`);
    versions.add(m.version);
  }
  return migrations.sort((a, b) => a.version - b.version);
}

function checksum(sql: string): string {
  return createHash('sha256').update(sql).digest('hex');
}

/** Applies what is not applied yet; returns the names applied now. */
export async function migrate(db: Database, migrations: readonly Migration[]): Promise<string[]> {
  const applied: string[] = [];
  await db.transaction(async (client) => {
    // One migrator at a time per database; the lock is released at commit.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [lockKey('migrations')]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      scope text NOT NULL, version integer NOT NULL, name text NOT NULL, checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (scope, version))`);
    const { rows } = await client.query<{ scope: string; version: number; checksum: string; name: string }>(
      'SELECT scope, version, checksum, name FROM schema_migrations',
    );
    const done = new Map(rows.map((r) => [`${r.scope}:${r.version}`, r]));
    for (const m of migrations) {
      const previous = done.get(`${m.scope}:${m.version}`);
      if (previous) {
        if (previous.checksum !== checksum(m.sql)) {
          throw new Error(
            `Migration ${m.scope} ${m.version} (${m.name}) was changed after it was applied; add a new migration instead`,
          );
        }
        continue;
      }
      try {
        await client.query(m.sql);
      } catch (err) {
        throw new Error(`Migration ${m.scope} ${m.version} (${m.name}) failed: ${(err as Error).message}`, {
          cause: err,
        });
      }
      await client.query('INSERT INTO schema_migrations (scope, version, name, checksum) VALUES ($1, $2, $3, $4)', [
        m.scope,
        m.version,
        m.name,
        checksum(m.sql),
      ]);
      applied.push(`${m.scope}/${String(m.version).padStart(3, '0')}_${m.name}`);
    }
  });
  return applied;
}
