/**
 * The chassis knows nothing of banking: CHASSIS_NAMESPACE names its metrics, span attributes,
 * events exchange and databases (issue 10, item 4). Each case runs in a process of its own, since a
 * process's namespace is fixed by its first use.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../src/config/env.ts';
import { namingSettings } from '../src/config/naming.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../..', import.meta.url));
const child = fileURLToPath(new URL('./fixtures/namespace-child.ts', import.meta.url));

async function namesWith(namespace: string | undefined) {
  const env = { ...process.env };
  delete env.CHASSIS_NAMESPACE;
  if (namespace !== undefined) env.CHASSIS_NAMESPACE = namespace;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', child], { cwd: root, env });
  return JSON.parse(stdout) as { metrics: string[]; database: string; exchange: string; serviceAttribute: string };
}

test('with CHASSIS_NAMESPACE=acme, everything the chassis names is acme’s', async () => {
  const names = await namesWith('acme');
  assert.ok(names.metrics.includes('acme_rpc_server_duration_seconds'), names.metrics.join(', '));
  assert.ok(names.metrics.includes('acme_process_process_cpu_seconds_total'), 'the process metrics too');
  assert.deepEqual(
    names.metrics.filter((m) => !m.startsWith('acme_')),
    [],
  );
  assert.equal(names.database, 'acme_strategy_orders');
  assert.equal(names.exchange, 'acme.events');
  assert.equal(names.serviceAttribute, 'acme.service');
});

test('without it, the names are simplebank’s, as before', async () => {
  const names = await namesWith(undefined);
  assert.ok(names.metrics.includes('simplebank_rpc_server_duration_seconds'));
  assert.deepEqual(
    names.metrics.filter((m) => !m.startsWith('simplebank_')),
    [],
  );
  assert.equal(names.database, 'simplebank_strategy_orders');
  assert.equal(names.exchange, 'simplebank.events');
});

test('a namespace that could not name a metric or a database is refused at start, by name', () => {
  for (const bad of ['Acme', 'acme-bank', '1acme', 'a'.repeat(33)]) {
    assert.throws(
      () => namingSettings.load({ CHASSIS_NAMESPACE: bad }),
      (err: unknown) => err instanceof ConfigError && err.problems.some((p) => p.includes('CHASSIS_NAMESPACE')),
      bad,
    );
  }
});
