/**
 * `npm run new:service -- <name> [--calls a,b] [--port-offset n] [--no-install]`: scaffolds
 * services/<name>/ (scripts/new-service/templates.ts), a service that runs as is. Its package.json
 * carries the registry field (@simplebank/registry), so `npm start`, `npm run start:distributed`,
 * the deploy generator and `npm test` pick it up with nothing else edited. Then, unless
 * --no-install: `npm install` (links the new workspace, adds it to the lock file), `npm run docs`
 * and `npm run deploy:generate` (the generated files that list every service), so lint passes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { SERVICES_DIR, readManifests, registryOf } from '@simplebank/registry';
import { namesOf, serviceFiles } from './new-service/templates.ts';

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
/** The database is `simplebank_<name>` and PostgreSQL identifiers stop at 63 bytes; the env prefix must stay readable. */
const MAX_NAME = 40;
/** Names the chassis or the repository already use for something else. */
const RESERVED = new Set(['system', 'chassis', 'registry', 'money', 'cli', 'web', 'test', 'bench']);

export interface Scaffolded {
  dir: string;
  files: string[];
  portOffset: number;
}

/** Writes services/<name>/ into `servicesDir`; refuses a bad name, an existing folder, or an unknown callee. */
export function scaffoldService(options: {
  name: string;
  servicesDir?: string;
  calls?: string[];
  portOffset?: number;
}): Scaffolded {
  const servicesDir = options.servicesDir ?? SERVICES_DIR;
  const { name } = options;
  if (!NAME.test(name) || name.length > MAX_NAME)
    throw new Error(`"${name}" is not a service name: lower-case words joined by "-", at most ${MAX_NAME} characters`);
  if (RESERVED.has(name)) throw new Error(`"${name}" is taken (reserved: ${[...RESERVED].join(', ')})`);
  const dir = join(servicesDir, name);
  if (existsSync(dir)) throw new Error(`${dir} exists already`);
  const registry = registryOf(readManifests(servicesDir)); // not the cached registry: this folder is about to change
  const calls = options.calls ?? [];
  const unknown = calls.filter((c) => c !== '*' && !registry.has(c));
  if (unknown.length > 0)
    throw new Error(`--calls names no service: ${unknown.join(', ')} (services: ${registry.names.join(', ')})`);
  // The next free offset: every service keeps its port, the new one takes the next.
  const portOffset = options.portOffset ?? Math.max(0, ...registry.services.map((s) => s.portOffset)) + 1;
  const taken = registry.services.find((s) => s.portOffset === portOffset);
  if (taken) throw new Error(`port offset ${portOffset} is ${taken.name}'s`);
  const files = serviceFiles(namesOf(name), { portOffset, calls });
  for (const [path, content] of files) {
    const file = join(dir, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  return { dir, files: [...files.keys()], portOffset };
}

function run(command: string, args: string[], cwd: string): void {
  console.log(`$ ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { cwd, stdio: 'inherit' });
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status}); run it again by hand`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      calls: { type: 'string' },
      'port-offset': { type: 'string' },
      'no-install': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals.length !== 1) {
    console.log('usage: npm run new:service -- <name> [--calls a,b] [--port-offset n] [--no-install]');
    process.exit(values.help ? 0 : 2);
  }
  const root = join(SERVICES_DIR, '..');
  try {
    const done = scaffoldService({
      name: positionals[0]!,
      ...(values.calls
        ? {
            calls: values.calls
              .split(',')
              .map((c) => c.trim())
              .filter(Boolean),
          }
        : {}),
      ...(values['port-offset'] !== undefined ? { portOffset: Number(values['port-offset']) } : {}),
    });
    console.log(
      `wrote ${relative(root, done.dir)}/ (${done.files.join(', ')}); distributed port PORT + ${done.portOffset}`,
    );
    // The templates' lines are long: the house formatter (npm run lint checks it) lays them out.
    run('npx', ['biome', 'format', '--write', relative(root, done.dir)], root);
    if (!values['no-install']) {
      run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--prefer-offline'], root);
      run('npm', ['run', '--silent', 'docs'], root);
      run('npm', ['run', '--silent', 'deploy:generate'], root);
    }
    console.log(`next: npm test -- services/${positionals[0]}   then npm start (or npm run start:distributed)`);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
}
