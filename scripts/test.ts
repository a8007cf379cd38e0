/**
 * `npm test`: starts one embedded PostgreSQL for the run, then runs every test file with Node's
 * test runner (two files at a time, each in its own process), and ends with the summary line
 * "N passed, N failed". `--unit` runs only packages' and services' tests, not test/e2e.
 * Extra arguments filter test files by substring: `npm test -- outbox saga`.
 */
import { spawn } from 'node:child_process';
import { readdir, readFile, mkdir, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { startEmbeddedPostgres } from '@simplebank/chassis/embedded';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const filters = args.filter((a) => !a.startsWith('--'));

async function findTests(dir: string, out: string[] = []): Promise<string[]> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await findTests(path, out);
    else if (entry.name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

const roots = ['packages', 'services', 'apps', ...(unitOnly ? [] : ['test'])];
let files: string[] = [];
for (const r of roots) files.push(...(await findTests(join(root, r)).catch(() => [])));
// The distributed and chaos suites have their own commands.
files = files.filter((f) => !f.startsWith('test/distributed/') && !f.startsWith('test/chaos/'));
if (filters.length > 0) files = files.filter((f) => filters.some((x) => f.includes(x)));
files.sort();
if (files.length === 0) {
  console.error('No test files found');
  process.exit(1);
}

// One folder per run, so two runs at once (a developer and a helper) do not wipe each other's server.
const dataRoot = join(root, '.test-data', `run-${process.pid}`);
await mkdir(dataRoot, { recursive: true });
const server = await startEmbeddedPostgres({ dataDir: join(dataRoot, 'pg'), fresh: true });
const tapFile = join(dataRoot, 'results.tap');
await rm(tapFile, { force: true });

const code = await new Promise<number>((resolve) => {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      `--test-concurrency=${process.env.TEST_CONCURRENCY ?? '2'}`,
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tapFile}`,
      ...files,
    ],
    {
      cwd: root,
      stdio: 'inherit',
      env: {
        ...process.env,
        SIMPLEBANK_TEST_PG_URL: server.url,
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
        SIMPLEBANK_STRICT_CONTRACTS: '1',
      },
    },
  );
  child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
});
await server.stop();

const tap = await readFile(tapFile, 'utf8').catch(() => '');
const count = (name: string) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tap)?.[1] ?? 0);
const passed = count('pass');
const failed = count('fail') + count('cancelled');
const skipped = count('skipped') + count('todo');
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
await rm(dataRoot, { recursive: true, force: true });
process.exit(code !== 0 || failed > 0 ? 1 : 0);
