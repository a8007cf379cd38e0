/**
 * The delivery pipeline (.github/workflows/delivery.yml), read as GitHub reads it: the stages in
 * order (build → test and the contract gate → publish → staging → approval → canary → production),
 * what each runs, the approval and the rollback; and its deploy script (deploy/pipeline/deploy.sh)
 * rehearsed against stand-in kubectl, kustomize and Prometheus: a healthy canary, an unhealthy one
 * sent back to 0, a promotion whose rollout fails undone.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { root } from './render.ts';

interface Job {
  needs?: string | string[];
  if?: string;
  environment?: string;
  steps: Array<{ run?: string; uses?: string; if?: string; name?: string }>;
}
const workflow = parse(readFileSync(join(root, '.github/workflows/delivery.yml'), 'utf8')) as {
  on: Record<string, unknown>;
  env: Record<string, string>;
  jobs: Record<string, Job>;
};
const jobs = workflow.jobs;
const needs = (name: string): string[] => [jobs[name]!.needs ?? []].flat();
/** Every job `name` waits for, directly or not. */
const upstream = (name: string): Set<string> => new Set(needs(name).flatMap((n) => [n, ...upstream(n)]));
const runs = (name: string) => jobs[name]!.steps.map((s) => s.run ?? '').join('\n');

describe('the delivery pipeline', () => {
  it('runs the stages in order: build, then test and the contract gate, publish, staging, canary, production', () => {
    assert.deepEqual(Object.keys(jobs), [
      'build',
      'test',
      'contract-gate',
      'publish',
      'staging',
      'canary',
      'production',
    ]);
    assert.deepEqual([...upstream('publish')].sort(), ['build', 'contract-gate', 'test']);
    assert.ok(upstream('staging').has('publish'));
    assert.ok(upstream('canary').has('staging'));
    assert.ok(upstream('production').has('canary'));
    assert.ok('push' in workflow.on && 'pull_request' in workflow.on, 'runs on pushes and pull requests');
    assert.match(jobs.publish!.if ?? '', /refs\/heads\/main/, 'only main is published and deployed');
  });

  it("tests with the README's command and the distributed suite, and gates on the contracts", () => {
    assert.match(runs('test'), /^npm test$/m);
    assert.match(runs('test'), /^npm run test:distributed$/m);
    assert.match(runs('test'), /scripts\/infra\/rabbitmq\.sh/);
    assert.match(runs('contract-gate'), /npm run contracts:check/);
    assert.match(runs('build'), /npm ci/);
    assert.match(workflow.env.NODE_VERSION!, /^20\./, 'the runtime of the image and of this repository');
  });

  it('publishes one image by digest and deploys that digest everywhere', () => {
    const push = jobs.publish!.steps.find((s) => s.uses?.startsWith('docker/build-push-action'));
    assert.ok(push);
    for (const stage of ['staging', 'canary', 'production'])
      assert.match(runs(stage), /needs\.publish\.outputs\.image/);
    assert.match(JSON.stringify((jobs.publish as any).outputs), /digest/);
  });

  it("waits for approval before production (the environment's reviewers) and rolls back on failed health", () => {
    assert.equal(jobs.staging!.environment, 'staging');
    assert.equal(jobs.canary!.environment, 'production');
    assert.equal(jobs.production!.environment, 'production');
    assert.match(runs('canary'), /deploy\.sh canary/);
    assert.match(runs('production'), /deploy\.sh promote/);
    const rollback = jobs.production!.steps.find((s) => /deploy\.sh rollback/.test(s.run ?? ''));
    assert.equal(rollback?.if, 'failure()');
  });

  it('calls the deploy script only with commands it has, and the script is valid bash', () => {
    const script = readFileSync(join(root, 'deploy/pipeline/deploy.sh'), 'utf8');
    const commands = new Set([...script.matchAll(/^ {2}([a-z]+)\)/gm)].map((m) => m[1]));
    const used = Object.keys(jobs).flatMap((j) => [...runs(j).matchAll(/deploy\.sh (\w+)/g)].map((m) => m[1]));
    assert.ok(used.length >= 4);
    for (const c of used) assert.ok(commands.has(c), `deploy.sh has no command ${c}`);
    execFileSync('bash', ['-n', join(root, 'deploy/pipeline/deploy.sh')]);
  });
});

const jqMissing = spawnSync('jq', ['--version']).status !== 0 ? 'jq is not installed' : false;

describe('the deploy script, rehearsed against stand-ins', { skip: jqMissing }, () => {
  /** A copy of deploy/ (kustomize edit changes overlays in place) and stand-ins that log what they are asked. */
  function rehearse(
    command: string[],
    behaviour: { rolloutFails?: string; canaryUnready?: boolean; canaryRatio?: string },
  ) {
    const dir = mkdtempSync(join(tmpdir(), 'deploy-rehearsal-'));
    try {
      cpSync(join(root, 'deploy'), join(dir, 'deploy'), { recursive: true });
      const bin = join(dir, 'bin');
      const log = join(dir, 'log');
      cpSync(join(root, 'deploy/pipeline/deploy.sh'), join(dir, 'deploy/pipeline/deploy.sh'));
      const ready = behaviour.canaryUnready ? 'False' : 'True';
      const stub = (name: string, body: string) =>
        writeFileSync(join(bin, name), `#!/bin/sh\necho "${name} $*" >> "${log}"\n${body}\n`, { mode: 0o755 });
      execFileSync('mkdir', ['-p', bin]);
      stub('kustomize', 'exit 0');
      stub(
        'kubectl',
        `case "$*" in
  "kustomize "*) echo "kind: List";;
  "apply "*|*" apply "*) cat > /dev/null;;
  *"get deployment -l track=stable -o name"*) echo deployment.apps/orders; echo deployment.apps/gateway;;
  *"get deployment -l track=canary -o name"*) echo deployment.apps/orders-canary;;
  *"rollout status deployment.apps/${behaviour.rolloutFails ?? 'none'} "*) exit 1;;
  *"get pods -l track=canary -o json"*) echo '{"items":[{"status":{"conditions":[{"type":"Ready","status":"${ready}"}]}}]}';;
esac
exit 0`,
      );
      stub('curl', `echo '{"status":"success","data":{"result":[{"value":[0,"${behaviour.canaryRatio ?? '0'}"]}]}}'`);
      stub('sleep', 'exit 0');
      const result = spawnSync('bash', [join(dir, 'deploy/pipeline/deploy.sh'), ...command], {
        env: {
          PATH: `${bin}:${process.env.PATH}`,
          PROMETHEUS_URL: 'http://prometheus.test',
          CANARY_MINUTES: '1',
          CANARY_SERVICES: 'orders',
        },
        encoding: 'utf8',
      });
      let calls: string[] = [];
      try {
        calls = readFileSync(log, 'utf8').trim().split('\n');
      } catch {
        // nothing was called
      }
      return { status: result.status, calls, stderr: result.stderr };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const image = 'ghcr.io/simplebank/simplebank@sha256:0123';

  it('staging: sets the image, applies, waits for every stable Deployment', () => {
    const r = rehearse(['staging', image], {});
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.calls.includes(`kustomize edit set image simplebank=${image}`));
    assert.ok(r.calls.some((c) => c.startsWith('kubectl apply')));
    assert.ok(r.calls.some((c) => /rollout status deployment\.apps\/orders /.test(c)));
    assert.ok(!r.calls.some((c) => c.includes('rollout undo')));
  });

  it('staging: a Deployment that does not roll out is undone, and the job fails', () => {
    const r = rehearse(['staging', image], { rolloutFails: 'orders' });
    assert.equal(r.status, 1);
    assert.ok(r.calls.some((c) => c.includes('-n simplebank-staging rollout undo deployment.apps/orders')));
  });

  it('canary: healthy, it stays at one pod per service', () => {
    const r = rehearse(['canary', image], { canaryRatio: '0.001' });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.calls.includes(`kustomize edit set image simplebank-canary=${image}`));
    assert.ok(r.calls.includes('kustomize edit set replicas orders-canary=1'));
    assert.ok(!r.calls.includes('kustomize edit set replicas orders-canary=0'));
  });

  it('canary: too many errors, or a pod not ready, sends it back to 0 and fails the job', () => {
    for (const behaviour of [{ canaryRatio: '0.2' }, { canaryUnready: true }]) {
      const r = rehearse(['canary', image], behaviour);
      assert.equal(r.status, 1, JSON.stringify(behaviour));
      assert.ok(r.calls.includes('kustomize edit set replicas orders-canary=0'), JSON.stringify(behaviour));
      assert.ok(r.calls.filter((c) => c.startsWith('kubectl apply')).length >= 2, 'the canary at 0 is applied');
    }
  });

  it('promote: the stable track runs the image and the canary goes back to 0; a failed rollout rolls back', () => {
    const ok = rehearse(['promote', image], {});
    assert.equal(ok.status, 0, ok.stderr);
    assert.ok(ok.calls.includes(`kustomize edit set image simplebank=${image}`));
    assert.ok(ok.calls.includes('kustomize edit set replicas orders-canary=0'));
    const failed = rehearse(['promote', image], { rolloutFails: 'gateway' });
    assert.equal(failed.status, 1);
    assert.ok(failed.calls.some((c) => c.includes('-n simplebank rollout undo deployment.apps/gateway')));
    assert.ok(failed.calls.includes('kustomize edit set replicas orders-canary=0'));
  });
});
