/**
 * `npm start` as a newcomer runs it: it becomes ready on PORT, and Ctrl-C (SIGINT) stops it —
 * the embedded PostgreSQL included — leaving no process behind. The test runs the start script's
 * own command line (from package.json), so that the exit code seen is our process's, not npm's
 * (npm itself reports a Ctrl-C as 130 whatever its child did).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { freePort } from '@simplebank/chassis';
import { eventually } from '@simplebank/chassis/testing';

const root = new URL('../../..', import.meta.url).pathname;

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function runOnce(dataDir: string, port: number, extra: string[] = []) {
  const script = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } })
    .scripts.start;
  const child = spawn('sh', ['-c', `exec ${script} ${extra.join(' ')}`], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      SIMPLEBANK_DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      SIMPLEBANK_TEST_PG_URL: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, as a terminal's foreground job
  });
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
      const r = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined);
      return r?.status === 200 ? r : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 100, message: 'npm start never became ready' },
  );
  assert.equal(ready.status, 200);
  const pidFile = join(dataDir, 'postgres', 'postmaster.pid');
  assert.ok(existsSync(pidFile), 'the embedded PostgreSQL keeps its data under SIMPLEBANK_DATA_DIR');
  const postgresPid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  assert.ok(running(postgresPid));
  // Ctrl-C in a terminal signals the whole foreground process group.
  process.kill(-child.pid!, 'SIGINT');
  const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 60_000))]);
  if (code === 'hung') process.kill(-child.pid!, 'SIGKILL');
  assert.equal(code, 0, `exit code after Ctrl-C; output:\n${output}`);
  await eventually(() => !running(postgresPid), { timeoutMs: 20_000, message: 'PostgreSQL outlived npm start' });
  return output;
}

it('npm start becomes ready, keeps its data between runs, and stops on Ctrl-C leaving no process behind', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'simplebank-start-'));
  chmodSync(dataDir, 0o755); // PostgreSQL, run as its own user when we are root, must reach it
  const first = await runOnce(dataDir, await freePort());
  assert.match(first, /SimpleBank \(all-in-one\) is listening on http:\/\/localhost:\d+/);
  assert.match(first, /health\/ready/);
  // A second run finds the data of the first (no re-initialisation), and --fresh starts over.
  await runOnce(dataDir, await freePort());
  await runOnce(dataDir, await freePort(), ['--fresh']);
});
