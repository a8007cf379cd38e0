/**
 * One SimpleBank per data folder: a second `npm start` on a folder in use refuses to start (and
 * leaves the first one's PostgreSQL alone), while a lock left behind by a killed process (kill -9)
 * does not block a restart.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { freePort } from '@simplebank/chassis';
import { eventually } from '@simplebank/chassis/testing';

const root = new URL('../../..', import.meta.url).pathname;
const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
  .scripts;

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function spawnStart(dataDir: string, port: number, script: 'start' | 'start:distributed' = 'start') {
  const child = spawn('sh', ['-c', `exec ${scripts[script]}`], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      SIMPLEBANK_DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      SIMPLEBANK_TEST_PG_URL: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    output: () => output,
    async ready() {
      await eventually(
        async () => {
          if (child.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
          const r = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined);
          return r?.status === 200 ? true : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 100, message: 'npm start never became ready' },
      );
    },
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      process.kill(-child.pid!, 'SIGINT');
      const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 60_000))]);
      if (code === 'hung') process.kill(-child.pid!, 'SIGKILL');
      return code;
    },
  };
}

function dataFolder(): string {
  const dataDir = mkdtempSync(join(tmpdir(), 'simplebank-lock-'));
  chmodSync(dataDir, 0o755);
  return dataDir;
}

function postgresPid(dataDir: string): number {
  return Number(readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
}

it('a second npm start on a data folder in use refuses with the owner pid, and the first keeps running', async () => {
  const dataDir = dataFolder();
  const firstPort = await freePort();
  const first = spawnStart(dataDir, firstPort);
  try {
    await first.ready();
    const pgPid = postgresPid(dataDir);
    const second = spawnStart(dataDir, await freePort());
    const code = await Promise.race([second.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 60_000))]);
    if (code === 'hung') await second.stop();
    assert.notEqual(code, 'hung', `the second start did not refuse:\n${second.output()}`);
    assert.notEqual(code, 0);
    assert.match(
      second.output(),
      new RegExp(`SimpleBank is already running on this data folder, pid ${first.child.pid}`),
    );
    // The distributed mode refuses the same way: the message, not a stack trace.
    const distributed = spawnStart(dataDir, await freePort(), 'start:distributed');
    const dcode = await Promise.race([
      distributed.exited,
      new Promise<'hung'>((r) => setTimeout(() => r('hung'), 90_000)),
    ]);
    if (dcode === 'hung') await distributed.stop();
    assert.equal(dcode, 1, `start:distributed did not refuse with exit code 1:\n${distributed.output()}`);
    assert.match(
      distributed.output(),
      new RegExp(`SimpleBank is already running on this data folder, pid ${first.child.pid}`),
    );
    assert.doesNotMatch(distributed.output(), /^\s+at /m, 'no stack trace');
    // The first one's database was not touched, and it still answers.
    assert.ok(running(pgPid), "the first one's PostgreSQL is still running");
    assert.equal(postgresPid(dataDir), pgPid);
    const r = await fetch(`http://127.0.0.1:${firstPort}/health/ready`);
    assert.equal(r.status, 200);
  } finally {
    assert.equal(await first.stop(), 0, first.output());
  }
  assert.equal(existsSync(join(dataDir, 'postgres.lock')), false, 'a clean stop releases the lock');
});

it('a lock left by a killed process (dead pid) does not block a restart', async () => {
  const dataDir = dataFolder();
  mkdirSync(join(dataDir, 'postgres'), { recursive: true });
  const dead = spawnSync('sh', ['-c', 'echo $$']);
  const deadPid = Number(dead.stdout.toString().trim());
  assert.equal(running(deadPid), false);
  writeFileSync(join(dataDir, 'postgres.lock'), JSON.stringify({ pid: deadPid }));
  const start = spawnStart(dataDir, await freePort());
  try {
    await start.ready();
    const owner = JSON.parse(readFileSync(join(dataDir, 'postgres.lock'), 'utf8')) as { pid: number };
    assert.equal(owner.pid, start.child.pid);
  } finally {
    assert.equal(await start.stop(), 0, start.output());
  }
});
