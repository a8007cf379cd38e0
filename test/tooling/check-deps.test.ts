import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const script = new URL('../../scripts/check-deps.ts', import.meta.url).pathname;

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'deps-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

function check(root: string) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, root], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe('the dependency rule (lint)', () => {
  it('passes a service that imports the chassis and another service contract', () => {
    const root = tree({
      'packages/chassis/src/index.ts': 'export const x = 1;\n',
      'services/orders/src/service.ts': "import { x } from '@simplebank/chassis';\nimport { accountsContract } from '@simplebank/accounts/contract';\n",
      'services/orders/src/domain/fee.ts': "import { Money } from '@simplebank/money';\nimport { rule } from './rule.ts';\n",
      'services/accounts/src/contract.ts': 'export const accountsContract = {};\n',
      'services/orders/test/together.test.ts': "import { accountsService } from '@simplebank/accounts/service';\n",
    });
    const r = check(root);
    assert.equal(r.code, 0, r.out);
  });

  it('fails on a service reaching into another service, the chassis importing a service, and I/O in domain/', () => {
    const root = tree({
      'packages/chassis/src/index.ts': "import { s } from '../../../services/orders/src/service.ts';\n",
      'services/orders/src/service.ts': "import { store } from '../../accounts/src/store.ts';\nimport { a } from '@simplebank/accounts/src/store';\nimport { s } from '@simplebank/accounts/service';\n",
      'services/orders/src/domain/fee.ts': "import pg from 'pg';\nimport { T } from '@simplebank/chassis';\n",
      'services/accounts/src/store.ts': 'export const store = {};\n',
    });
    const r = check(root);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /the chassis imports nothing outside itself/);
    assert.match(r.out, /another service is reached only through its contract\.ts/);
    assert.match(r.out, /only through "@simplebank\/accounts\/contract"/);
    assert.match(r.out, /imports "@simplebank\/accounts\/service"/, 'production code may not start another service');
    assert.match(r.out, /domain\/ does no I\/O/);
    assert.match(r.out, /domain\/ imports nothing with I\/O/);
  });
});
