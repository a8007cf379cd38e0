/**
 * `npm run docs`: writes the message documentation generated from the contracts — docs/asyncapi.json
 * (every event and command of every service), docs/contracts/<service>.json (RPC methods with
 * their JSON Schemas) and docs/contracts/gateway.graphql (the GraphQL schema). `--check` fails when the committed files differ from what the contracts say.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { asyncApiDocument, contractDocument, type Contract } from '@simplebank/chassis';
import { printSchema } from 'graphql';
import { buildGraphqlSchema } from '../services/gateway/src/graphql/schema.ts';

const root = new URL('..', import.meta.url).pathname;
const check = process.argv.includes('--check');

const contracts: Contract[] = [];
for (const name of (await readdir(join(root, 'services'))).sort()) {
  const mod = (await import(`@simplebank/${name}/contract`)) as Record<string, unknown>;
  for (const value of Object.values(mod)) {
    if (value && typeof value === 'object' && 'service' in value && 'rpc' in value && 'events' in value)
      contracts.push(value as Contract);
  }
}

const files = new Map<string, string>();
files.set(
  'docs/asyncapi.json',
  JSON.stringify(asyncApiDocument(contracts, { title: 'SimpleBank messages', version: '1.0.0' }), null, 2) + '\n',
);
for (const c of contracts)
  files.set(`docs/contracts/${c.service}.json`, JSON.stringify(contractDocument(c), null, 2) + '\n');
// The gateway's GraphQL schema (SDL), for the contract gate (scripts/graphql-diff.ts).
files.set('docs/contracts/gateway.graphql', `${printSchema(buildGraphqlSchema())}\n`);

const stale: string[] = [];
for (const [path, text] of files) {
  if (check) {
    const current = await readFile(join(root, path), 'utf8').catch(() => '');
    if (current !== text) stale.push(path);
  } else {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), text);
  }
}
if (stale.length > 0) {
  console.error(
    `Generated documentation is out of date (run npm run docs):\n${stale.map((s) => `  - ${s}`).join('\n')}`,
  );
  process.exit(1);
}
console.log(check ? `Generated documentation is up to date (${files.size} files).` : `Wrote ${files.size} files.`);
