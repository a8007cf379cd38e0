/**
 * `npm run test:distributed`: the distributed suite on real RabbitMQ and PostgreSQL.
 *   1. RabbitMQ: installed (Debian's rabbitmq-server) and started on loopback by scripts/infra/rabbitmq.sh
 *      unless AMQP_URL names a broker.
 *   2. The RabbitMQ transport's own tests (test/distributed/*.test.ts).
 *   3. SimpleBank in the distributed mode (a process per service) on an embedded PostgreSQL, and the
 *      end-to-end suite (test/e2e) against its gateway, unchanged (SIMPLEBANK_E2E_URL).
 * Ends with the summary line "N passed, N failed".
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '@simplebank/chassis/embedded';
import { startDistributed } from '../apps/cli/src/distributed.ts';
import { E2E_SETTINGS } from '../test/e2e/settings.ts';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const dataRoot = join(root, '.test-data', `distributed-${process.pid}`);
await mkdir(dataRoot, { recursive: true });

const amqpUrl =
  process.env.AMQP_URL ||
  execFileSync('bash', [join(root, 'scripts/infra/rabbitmq.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
const postgres = await startEmbeddedPostgres({ dataDir: join(dataRoot, 'pg'), fresh: true });

async function testFiles(dir: string): Promise<string[]> {
  const files = (await readdir(join(root, dir))).filter((f) => f.endsWith('.test.ts')).map((f) => join(dir, f));
  return filters.length > 0 ? files.filter((f) => filters.some((x) => f.includes(x))) : files;
}

/** Runs test files with Node's runner (one at a time: they share one system); returns [passed, failed]. */
async function run(files: string[], env: NodeJS.ProcessEnv, name: string): Promise<[number, number]> {
  if (files.length === 0) return [0, 0];
  const tap = join(dataRoot, `${name}.tap`);
  const code = await new Promise<number>((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--test',
        '--test-concurrency=1',
        '--test-reporter=spec',
        '--test-reporter-destination=stdout',
        '--test-reporter=tap',
        `--test-reporter-destination=${tap}`,
        ...files,
      ],
      { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } },
    );
    child.on('exit', (c) => resolve(c ?? 1));
  });
  const text = await readFile(tap, 'utf8').catch(() => '');
  const count = (k: string) => Number(new RegExp(`^# ${k} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  const failed = count('fail') + count('cancelled');
  return [count('pass'), failed === 0 && code !== 0 ? 1 : failed];
}

let passed = 0;
let failed = 0;
const add = ([p, f]: [number, number]) => {
  passed += p;
  failed += f;
};

try {
  console.log(`== RabbitMQ transport (${amqpUrl.replace(/\/\/[^@]*@/, '//')})`);
  add(
    await run(
      await testFiles('test/distributed'),
      { AMQP_URL: amqpUrl, SIMPLEBANK_TEST_PG_URL: postgres.url, LOG_LEVEL: 'silent' },
      'transport',
    ),
  );

  const e2e = await testFiles('test/e2e');
  if (e2e.length > 0) {
    console.log('== SimpleBank distributed: a process per service');
    const system = await startDistributed({
      quiet: !process.env.E2E_LOG,
      supervise: true,
      environment: {
        ...process.env,
        ...E2E_SETTINGS,
        PORT: '0',
        AMQP_URL: amqpUrl,
        DATABASE_URL: postgres.url,
        SIMPLEBANK_DB_PREFIX: `dist_${randomBytes(4).toString('hex')}`,
        LOG_LEVEL: process.env.E2E_LOG ? 'info' : 'warn',
      },
    });
    try {
      console.log(`== end-to-end suite against ${system.gatewayUrl}`);
      const [p, f] = await run(e2e, { SIMPLEBANK_E2E_URL: system.gatewayUrl }, 'e2e');
      add([p, f]);
      // A quiet run hides the services' logs: when something failed, or a process exited unasked (and
      // was started again), say what they last warned of.
      const said = system.diagnostics();
      if (f > 0 || said.includes('exited unasked'))
        console.log(
          `\n== what the services said\n${system.diagnostics() || '(nothing: no process exited, none warned)'}`,
        );
    } finally {
      await system.stop();
    }
  }
} finally {
  await postgres.stop();
  await rm(dataRoot, { recursive: true, force: true });
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
