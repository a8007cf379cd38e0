/**
 * Real PostgreSQL for tests. `npm test` starts one embedded server for the whole run and passes its
 * URL in SIMPLEBANK_TEST_PG_URL; a test file run on its own starts a private one. Every test gets a
 * database of its own, so tests never see each other's rows.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Database, databaseUrl, dropDatabase, ensureDatabase } from '../db/database.ts';
import { startEmbeddedPostgres, type EmbeddedServer } from '../db/embedded.ts';

let privateServer: Promise<EmbeddedServer> | undefined;

/** The URL of the test PostgreSQL server (its `postgres` database). */
export async function testServerUrl(): Promise<string> {
  const shared = process.env.SIMPLEBANK_TEST_PG_URL;
  if (shared) return shared;
  privateServer ??= startEmbeddedPostgres({
    dataDir: join(tmpdir(), `simplebank-test-pg-${process.pid}`),
    fresh: true,
  }).then((server) => {
    process.once('exit', () => void server.stop());
    return server;
  });
  return (await privateServer).url;
}

/** Stops the private server of a test file run on its own (no-op under `npm test`). */
export async function stopPrivateServer(): Promise<void> {
  const server = privateServer;
  privateServer = undefined;
  await (await server)?.stop();
}

export interface TestDatabase {
  db: Database;
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A new, empty database on the test server. */
export async function createTestDatabase(prefix = 'test'): Promise<TestDatabase> {
  const server = await testServerUrl();
  const name = `${prefix.replace(/[^a-z0-9_]/g, '_')}_${randomBytes(4).toString('hex')}`;
  await ensureDatabase(server, name);
  const url = databaseUrl(server, name);
  const db = new Database({ url, name, maxConnections: 10 });
  return {
    db,
    url,
    name,
    async drop() {
      await db.close();
      await dropDatabase(server, name).catch(() => {});
    },
  };
}
