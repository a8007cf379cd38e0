/**
 * Every setting the manifests give a service is one the service reads: each variable of its
 * environment (its ConfigMaps and env, as the kubelet makes them) is named in the chassis's code or
 * in the service's own, so a misspelt or stale name fails here instead of being ignored in a pod.
 * Only the manifests' own intermediates (the user and password a URL is composed of) are exempt.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { SERVICE_NAMES } from '../../apps/cli/src/distributed.ts';
import { containerEnvironment, find, kubectlMissing, render, root } from './render.ts';

function sources(dir: string): string {
  return readdirSync(join(root, dir), { withFileTypes: true })
    .map((e) =>
      e.isDirectory()
        ? e.name === 'test'
          ? ''
          : sources(join(dir, e.name))
        : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')
          ? readFileSync(join(root, dir, e.name), 'utf8')
          : '',
    )
    .join('\n');
}

it('every variable the manifests set is a setting the service or the chassis reads', { skip: kubectlMissing }, () => {
  const base = render('base');
  const chassis = sources('packages/chassis/src');
  const problems: string[] = [];
  for (const name of SERVICE_NAMES) {
    const own = sources(`services/${name}/src`);
    const prefix = name.toUpperCase().replace(/-/g, '_');
    const env = containerEnvironment(base, find(base, 'Deployment', name)!, () => 'secret');
    for (const key of Object.keys(env)) {
      if (
        key === `${prefix}_DATABASE_USER` ||
        key === `${prefix}_DATABASE_PASSWORD` ||
        key === 'AMQP_USERNAME' ||
        key === 'AMQP_PASSWORD'
      )
        continue;
      // The chassis reads `<SERVICE>_DATABASE_URL` through databaseVariable(service) (standalone.ts).
      if (key === `${prefix}_DATABASE_URL`) {
        assert.match(chassis, /_DATABASE_URL`/);
        continue;
      }
      const word = new RegExp(`\\b${key}\\b`);
      if (!word.test(chassis) && !word.test(own))
        problems.push(`${name}: ${key} is read by neither the chassis nor services/${name}/src`);
    }
  }
  assert.deepEqual(problems, []);
});
