/**
 * The dependency rule (`.dependency-cruiser.cjs`, run by `npm run lint`) on small trees laid out like
 * this repository: workspaces linked under node_modules, as npm links them.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const repo = new URL('../..', import.meta.url).pathname;
const config = join(repo, '.dependency-cruiser.cjs');
const depcruise = join(repo, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

const PACKAGES: Record<string, { dir: string; exports: Record<string, string> }> = {
  chassis: { dir: 'packages/chassis', exports: { '.': './src/index.ts' } },
  money: { dir: 'packages/money', exports: { '.': './src/index.ts' } },
  accounts: {
    dir: 'services/accounts',
    exports: { './contract': './src/contract.ts', './service': './src/service.ts' },
  },
  orders: { dir: 'services/orders', exports: { './contract': './src/contract.ts', './service': './src/service.ts' } },
};

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'deps-'));
  const write = (path: string, text: string) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  write(
    'package.json',
    JSON.stringify({ name: 'tree', private: true, type: 'module', workspaces: ['packages/*', 'services/*'] }),
  );
  write(
    'tsconfig.json',
    JSON.stringify({
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        allowImportingTsExtensions: true,
        noEmit: true,
      },
    }),
  );
  mkdirSync(join(root, 'node_modules/@simplebank'), { recursive: true });
  for (const [name, p] of Object.entries(PACKAGES)) {
    const dependencies = Object.fromEntries([
      ...Object.keys(PACKAGES)
        .filter((n) => n !== name)
        .map((n) => [`@simplebank/${n}`, '0.1.0']),
      ['pg', '*'],
    ]);
    write(
      `${p.dir}/package.json`,
      JSON.stringify({ name: `@simplebank/${name}`, type: 'module', exports: p.exports, dependencies }),
    );
    for (const target of Object.values(p.exports)) write(join(p.dir, target), 'export const x = 1;\n');
    symlinkSync(join(root, p.dir), join(root, 'node_modules/@simplebank', name));
  }
  symlinkSync(join(repo, 'node_modules/pg'), join(root, 'node_modules/pg'));
  for (const [path, text] of Object.entries(files)) write(path, text);
  return root;
}

function check(root: string) {
  const r = spawnSync(process.execPath, [depcruise, 'packages', 'services', '--config', config], {
    cwd: root,
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe('the dependency rule (lint)', () => {
  it('passes a service that imports the chassis, money and another service contract; its tests may start another service', () => {
    const root = tree({
      'services/orders/src/service.ts':
        "import { x } from '@simplebank/chassis';\nimport { x as c } from '@simplebank/accounts/contract';\nexport { x, c };\n",
      'services/orders/src/domain/fee.ts':
        "import { x } from '@simplebank/money';\nimport { rule } from './rule.ts';\nexport { x, rule };\n",
      'services/orders/src/domain/rule.ts': 'export const rule = 1;\n',
      'services/orders/test/together.test.ts': "import { x } from '@simplebank/accounts/service';\nexport { x };\n",
    });
    const r = check(root);
    assert.equal(r.code, 0, r.out);
  });

  it('fails on a package imported but not declared in the workspace package.json', () => {
    const root = tree({ 'services/orders/src/http.ts': "import fastify from 'fastify';\nexport { fastify };\n" });
    symlinkSync(join(repo, 'node_modules/fastify'), join(root, 'node_modules/fastify'));
    const r = check(root);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /declared-dependencies: services\/orders\/src\/http\.ts → \S*node_modules\/fastify\//);
  });

  it('fails on a reach into another service, the chassis importing a service, a relative path into the chassis, I/O in domain/ and a cycle', () => {
    const root = tree({
      'packages/chassis/src/index.ts': "import { x } from '../../../services/orders/src/service.ts';\nexport { x };\n",
      'services/orders/src/service.ts':
        "import { store } from '../../accounts/src/store.ts';\nimport { x } from '@simplebank/accounts/service';\nimport { e } from '../../../packages/chassis/src/errors.ts';\nexport { store, x, e };\n",
      'services/accounts/src/store.ts': 'export const store = {};\n',
      'packages/chassis/src/errors.ts': 'export const e = 1;\n',
      'services/orders/src/domain/fee.ts':
        "import pg from 'pg';\nimport { readFile } from 'node:fs/promises';\nimport { x } from '@simplebank/chassis';\nexport { pg, readFile, x };\n",
      'services/orders/src/a.ts': "import { b } from './b.ts';\nexport const a = b;\n",
      'services/orders/src/b.ts': "import { a } from './a.ts';\nexport const b = () => a;\n",
    });
    const r = check(root);
    assert.equal(r.code, 8, r.out); // depcruise exits with the number of errors: each one below
    assert.match(
      r.out,
      /chassis-imports-only-itself: packages\/chassis\/src\/index\.ts → services\/orders\/src\/service\.ts/,
    );
    assert.match(
      r.out,
      /service-code-reaches-others-by-contract: services\/orders\/src\/service\.ts → services\/accounts\/src\/store\.ts/,
    );
    assert.match(
      r.out,
      /service-code-reaches-others-by-contract: services\/orders\/src\/service\.ts → services\/accounts\/src\/service\.ts/,
      'production code may not start another service',
    );
    assert.match(
      r.out,
      /packages-by-their-name: services\/orders\/src\/service\.ts → packages\/chassis\/src\/errors\.ts/,
    );
    assert.match(r.out, /domain-does-no-io: services\/orders\/src\/domain\/fee\.ts → \S*node_modules\/pg\//);
    assert.match(r.out, /domain-does-no-io: services\/orders\/src\/domain\/fee\.ts → fs\/promises/);
    assert.match(
      r.out,
      /domain-imports-only-domain: services\/orders\/src\/domain\/fee\.ts → packages\/chassis\/src\/index\.ts/,
    );
    assert.match(r.out, /no-circular: services\/orders\/src\/a\.ts →/);
  });
});
