/**
 * `npm run test:browser`: the web app's browser suite (apps/web/test/*.browser.ts) on Debian's
 * Chromium (scripts/infra/chromium.sh installs it). Not part of `npm test`, so a machine without
 * Chromium still passes that. Ends with "N passed, N failed", which .ci/run adds into its summary.
 * `--screenshots` writes docs/screenshots/*.png instead (npm run screenshots).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbeddedPostgres } from '@simplebank/chassis/embedded';
import { CHROMIUM } from './harness.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const screenshots = process.argv.includes('--screenshots');

if (!existsSync(CHROMIUM)) {
  console.error(`${CHROMIUM} is missing: install it with bash scripts/infra/chromium.sh (or set CHROMIUM_PATH)`);
  process.exit(1);
}

const files = screenshots
  ? [join(here, 'screenshots.ts')]
  : (await readdir(here))
      .filter((f) => f.endsWith('.browser.ts'))
      .sort()
      .map((f) => join(here, f));
// Its own PostgreSQL data folder (under the repository, like npm test's: PostgreSQL's user must reach
// it), so it runs beside npm test without sharing a server.
const dataRoot = join(root, '.test-data', `browser-${process.pid}`);
await mkdir(dataRoot, { recursive: true });
const server = await startEmbeddedPostgres({ dataDir: join(dataRoot, 'pg'), fresh: true });
const tapFile = join(dataRoot, 'results.tap');

const code = await new Promise<number>((resolve) => {
  const child = spawn(
    process.execPath,
    screenshots
      ? ['--import', 'tsx', ...files.map((f) => relative(root, f))]
      : [
          '--import',
          'tsx',
          '--test',
          '--test-concurrency=1',
          '--test-reporter=spec',
          '--test-reporter-destination=stdout',
          '--test-reporter=tap',
          `--test-reporter-destination=${tapFile}`,
          ...files.map((f) => relative(root, f)),
        ],
    {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, SIMPLEBANK_TEST_PG_URL: server.url, LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' },
    },
  );
  child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
});
await server.stop();

let failed = code !== 0 ? 1 : 0;
if (!screenshots) {
  const tap = await readFile(tapFile, 'utf8').catch(() => '');
  const count = (name: string) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tap)?.[1] ?? 0);
  failed = count('fail') + count('cancelled');
  console.log(`\n${count('pass')} passed, ${failed} failed`);
}
await rm(dataRoot, { recursive: true, force: true });
process.exit(code !== 0 || failed > 0 ? 1 : 0);
