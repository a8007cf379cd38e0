/**
 * A service's declared `calls` (its package.json) are what its code calls: every contract it calls
 * (`call(xContract, …)`) or sends a command to (`send(xContract.commands…)`) is declared, and every
 * declared callee is called. The start order and the deploy files trust the declarations; this
 * keeps them true. The gateway declares `"*"` (it fans out to every service) and is left out.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readManifests, SERVICES_DIR, serviceRegistry } from '../src/index.ts';

/** The source files under `dir`, recursively. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? sources(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
  );
}

/** The services whose contracts the code in `dir` calls or sends commands to, by each file's contract imports. */
function calledIn(dir: string): string[] {
  const called = new Set<string>();
  for (const file of sources(dir)) {
    const text = readFileSync(file, 'utf8');
    const serviceOf = new Map<string, string>();
    for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'@simplebank\/([a-z-]+)\/contract'/g)) {
      for (const name of m[1]!.split(',').map(
        (n) =>
          n
            .replace(/^\s*type\s+/, '')
            .trim()
            .split(/\s+as\s+/)
            .at(-1)!,
      ))
        if (name) serviceOf.set(name, m[2]!);
    }
    for (const m of text.matchAll(/\bcall\(\s*(\w+)\s*,|\.send\(\s*(\w+)\.commands\b/g)) {
      const service = serviceOf.get(m[1] ?? m[2]!);
      if (service) called.add(service);
    }
  }
  return [...called].sort();
}

describe("services' declared calls", () => {
  const registry = serviceRegistry();
  const fanOut = new Set(
    readManifests()
      .filter((m) => ((m.packageJson.simplebank as { calls?: string[] } | undefined)?.calls ?? []).includes('*'))
      .map((m) => m.folder),
  );
  for (const s of registry.services.filter((x) => !fanOut.has(x.name))) {
    it(`${s.name}: declares exactly the services its code calls`, () => {
      assert.deepEqual(
        calledIn(join(SERVICES_DIR, s.name, 'src')),
        s.calls,
        `services/${s.name}/package.json "simplebank.calls"`,
      );
    });
  }

  it('reads calls (a multi-line one included) and command sends through the imported contracts', () => {
    const dir = join(SERVICES_DIR, 'orders', 'src');
    assert.deepEqual(calledIn(dir), ['accounts', 'fees', 'market', 'market-data', 'transactions']);
  });
});
