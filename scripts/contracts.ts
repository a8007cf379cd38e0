/**
 * The contract gate.
 *   npm run contracts:check     compares the contracts as they are — docs/contracts/<service>.json
 *                               and gateway.graphql (kept current by `npm run docs`) and the gateway's
 *                               public OpenAPI document — with the released snapshot in docs/contracts/released/, and
 *                               fails on a breaking change (scripts/contract-diff.ts says which are),
 *                               printing additive ones. In `npm run lint`.
 *   npm run contracts:release   writes the snapshot: what is released is what others may rely on.
 *                               Run it when a release ships; a breaking change needs a new version
 *                               of the method, event or route beside the old one instead (or, when
 *                               nobody can depend on it yet, a deliberate release, said in its commit).
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify from 'fastify';
import { compareContracts, compareOpenApi, type Change, type ContractDoc } from './contract-diff.ts';
import { GRAPHQL_SCHEMA_FILE, compareGraphql } from './graphql-diff.ts';

const root = new URL('..', import.meta.url).pathname;
const contractsDir = join(root, 'docs/contracts');
const releasedDir = join(contractsDir, 'released');

/** The gateway's OpenAPI document, from its routes (no system started: the routes are registered on a bare Fastify). */
export async function publicOpenApi(): Promise<Record<string, any>> {
  const { publicApi } = await import('../services/gateway/src/service.ts');
  const app = Fastify({ logger: false });
  const noop = () => {};
  const log: any = { warn: noop, info: noop, debug: noop, error: noop, trace: noop, fatal: noop };
  log.child = () => log;
  await app.register(async (scope) =>
    publicApi(scope, { log, metrics: {}, httpAddress: () => '', watch: async () => {} } as any),
  );
  await app.ready();
  const res = await app.inject({ method: 'GET', url: '/v1/openapi.json' });
  await app.close();
  if (res.statusCode !== 200) throw new Error(`GET /v1/openapi.json answered ${res.statusCode}`);
  return res.json();
}

function readText(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

function readJsonFiles(dir: string): Map<string, any> {
  const files = new Map<string, any>();
  for (const f of readdirSync(dir)
    .filter((x) => x.endsWith('.json'))
    .sort())
    files.set(f, JSON.parse(readFileSync(join(dir, f), 'utf8')));
  return files;
}

/** Every change from the released snapshot to the contracts as they are. */
export async function changesSinceRelease(): Promise<Change[]> {
  const released = readJsonFiles(releasedDir);
  const current = readJsonFiles(contractsDir);
  const changes: Change[] = [];
  for (const [file, doc] of released) {
    if (file === 'openapi.json') changes.push(...compareOpenApi(doc, await publicOpenApi()));
    else changes.push(...compareContracts(doc as ContractDoc, current.get(file) as ContractDoc | undefined));
  }
  for (const file of current.keys())
    if (!released.has(file))
      changes.push({ breaking: false, where: file.replace(/\.json$/, ''), what: 'new service contract' });
  const releasedSdl = readText(join(releasedDir, GRAPHQL_SCHEMA_FILE));
  const currentSdl = readText(join(contractsDir, GRAPHQL_SCHEMA_FILE));
  if (releasedSdl !== undefined) changes.push(...compareGraphql(releasedSdl, currentSdl));
  else if (currentSdl !== undefined) changes.push({ breaking: false, where: 'graphql', what: 'new GraphQL schema' });
  return changes;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const command = process.argv[2];
  if (command === 'release') {
    mkdirSync(releasedDir, { recursive: true });
    for (const [file, doc] of readJsonFiles(contractsDir))
      writeFileSync(join(releasedDir, file), `${JSON.stringify(doc, null, 2)}\n`);
    if (existsSync(join(contractsDir, GRAPHQL_SCHEMA_FILE)))
      copyFileSync(join(contractsDir, GRAPHQL_SCHEMA_FILE), join(releasedDir, GRAPHQL_SCHEMA_FILE));
    const openapi = await publicOpenApi();
    writeFileSync(
      join(releasedDir, 'openapi.json'),
      `${JSON.stringify({ openapi: openapi.openapi, info: openapi.info, paths: openapi.paths }, null, 2)}\n`,
    );
    console.log(`released: ${readdirSync(releasedDir).length} contracts in docs/contracts/released/`);
  } else if (command === 'check') {
    const changes = await changesSinceRelease();
    const breaking = changes.filter((c) => c.breaking);
    const additive = changes.filter((c) => !c.breaking);
    if (additive.length > 0)
      console.log(
        `additive changes since the release (${additive.length}):\n${additive.map((c) => `  + ${c.where}: ${c.what}`).join('\n')}`,
      );
    if (breaking.length > 0) {
      console.error(
        `BREAKING changes since the released contracts (docs/contracts/released/):\n${breaking.map((c) => `  ! ${c.where}: ${c.what}`).join('\n')}`,
      );
      console.error(
        'Keep the old method, event, route or field beside the new one; see scripts/contracts.ts for a deliberate release.',
      );
      process.exit(1);
    }
    console.log('contracts: no breaking change since the release');
  } else {
    console.error('usage: contracts.ts check|release');
    process.exit(2);
  }
}
