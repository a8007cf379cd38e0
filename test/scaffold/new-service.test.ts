/**
 * `npm run new:service`: the service it scaffolds typechecks, its component test passes, the registry
 * places it (the next port, before the gateway) and the all-in-one loader finds its definition — in a
 * scratch services/ folder under .test-data (inside the repository, so @simplebank/chassis resolves),
 * beside copies of the real services' package.json, never in services/ itself.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SERVICES_DIR, readManifests, registryOf, serviceRegistry } from '@simplebank/registry';
import { loadServiceDefinition } from '../../apps/cli/src/services.ts';
import { scaffoldService } from '../../scripts/new-service.ts';

const root = new URL('../..', import.meta.url).pathname;
const scratch = join(root, '.test-data', `new-service-${process.pid}`);
const servicesDir = join(scratch, 'services');
const NAME = 'loyalty-points';

describe('npm run new:service', () => {
  before(() => {
    for (const name of readdirSync(SERVICES_DIR)) {
      mkdirSync(join(servicesDir, name), { recursive: true });
      copyFileSync(join(SERVICES_DIR, name, 'package.json'), join(servicesDir, name, 'package.json'));
    }
    scaffoldService({ name: NAME, servicesDir, calls: ['accounts'] });
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('registers it on the next port, after what it calls and before the gateway, every other service unmoved', () => {
    const real = serviceRegistry();
    const registry = registryOf(readManifests(servicesDir));
    assert.equal(registry.port(NAME, 8080), 8080 + Math.max(...real.services.map((s) => s.portOffset)) + 1);
    for (const name of real.names) assert.equal(registry.port(name, 8080), real.port(name, 8080));
    const at = (name: string) => registry.names.indexOf(name);
    assert.ok(at('accounts') < at(NAME) && at(NAME) < at('gateway'));
    assert.deepEqual(registry.get('gateway').calls.includes(NAME), true, 'the gateway\'s "*" reaches it');
  });

  it('refuses a name in use, a bad name, and an unknown callee', () => {
    assert.throws(() => scaffoldService({ name: NAME, servicesDir }), /exists already/);
    assert.throws(() => scaffoldService({ name: 'Bad_Name', servicesDir }), /not a service name/);
    assert.throws(() => scaffoldService({ name: 'other', servicesDir, calls: ['nobody'] }), /names no service: nobody/);
  });

  it('is a service the all-in-one mode loads', async () => {
    const definition = await loadServiceDefinition(NAME, servicesDir);
    assert.equal(definition.contract.service, NAME);
  });

  it('typechecks', () => {
    writeFileSync(
      join(scratch, 'tsconfig.json'),
      JSON.stringify({
        extends: join(root, 'tsconfig.base.json'),
        include: [`services/${NAME}/src`, `services/${NAME}/test`],
      }),
    );
    const tsc = spawnSync(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(scratch, 'tsconfig.json'), '--noEmit'],
      { encoding: 'utf8' },
    );
    assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
  });

  it('passes its own component test (real PostgreSQL)', () => {
    // Without NODE_TEST_CONTEXT, which would make the child report to this runner instead of its stdout.
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const file = join(servicesDir, NAME, 'test', `${NAME}.test.ts`);
    const test = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', file], {
      cwd: root,
      encoding: 'utf8',
      env,
    });
    assert.equal(test.status, 0, test.stdout + test.stderr);
    assert.match(test.stdout, /# pass 4\b/, test.stdout);
  });
});
