/**
 * The Compose file (deploy/compose/compose.yaml): `docker-compose config` accepts it with the
 * secrets init-env.sh makes, and refuses it without them (no secret has a default in git); every
 * service is healthchecked and starts after the broker and the database are healthy; nothing is
 * published beyond loopback; the services run as in Kubernetes (same settings, non-root, read-only
 * root, no capabilities); Prometheus, Grafana, the collector, Jaeger and mailpit are wired.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { SERVICE_NAMES } from '../../apps/cli/src/distributed.ts';
import { databaseOf } from '../../scripts/deploy/services.ts';
import { composeMissing, containerEnvironment, find, kubectlMissing, render, root } from './render.ts';

const dir = join(root, 'deploy/compose');
const file = join(dir, 'compose.yaml');
const compose = parse(readFileSync(file, 'utf8'));
const work = mkdtempSync(join(tmpdir(), 'simplebank-compose-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** A .env as init-env.sh writes it (in a scratch folder, not deploy/compose/). */
function envFile(): string {
  copyFileSync(join(dir, 'init-env.sh'), join(work, 'init-env.sh'));
  execFileSync('bash', [join(work, 'init-env.sh')], { stdio: 'ignore' });
  return join(work, '.env');
}

describe('Compose file', () => {
  it('docker-compose config accepts it with the generated secrets, and refuses it without them', {
    skip: composeMissing,
  }, () => {
    const env = envFile();
    const ok = spawnSync('docker-compose', ['--env-file', env, '-f', file, 'config', '-q'], {
      encoding: 'utf8',
      cwd: work,
    });
    assert.equal(ok.status, 0, ok.stderr);
    const empty = join(work, 'empty.env');
    writeFileSync(empty, '');
    const bare = spawnSync('docker-compose', ['--env-file', empty, '-f', file, 'config', '-q'], {
      encoding: 'utf8',
      cwd: work,
      env: { PATH: process.env.PATH },
    });
    assert.notEqual(bare.status, 0);
    assert.match(bare.stderr, /init-env\.sh/);
  });

  it('init-env.sh keeps existing values and writes every secret the file uses; no value is in git', () => {
    const env = envFile();
    const first = readFileSync(env, 'utf8');
    execFileSync('bash', [join(work, 'init-env.sh')], { stdio: 'ignore' });
    assert.equal(readFileSync(env, 'utf8'), first, 'a second run changed .env');
    const names = new Set(
      first
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('=')[0]),
    );
    const used = new Set(
      [...readFileSync(file, 'utf8').matchAll(/\$\{([A-Z0-9_]+)(:\?[^}]*)?\}/g)].filter((m) => m[2]).map((m) => m[1]!),
    );
    assert.deepEqual(
      [...used].filter((n) => !names.has(n)),
      [],
    );
    assert.ok(readFileSync(join(root, '.gitignore'), 'utf8').includes('deploy/compose/.env'));
  });

  it('every service: built from the Dockerfile, its entry, healthchecked, after a healthy broker and database', () => {
    const problems: string[] = [];
    for (const name of SERVICE_NAMES) {
      const s = compose.services[name];
      if (!s) {
        problems.push(`${name}: missing`);
        continue;
      }
      if (s.build?.target !== 'service' || s.build?.dockerfile !== 'Dockerfile')
        problems.push(`${name}: not built from the Dockerfile's service target`);
      if (s.command?.[0] !== `services/${name}/src/main.ts`) problems.push(`${name}: command ${s.command}`);
      if (!s.healthcheck?.test?.join(' ').includes('/health/ready')) problems.push(`${name}: no readiness healthcheck`);
      for (const dep of ['rabbitmq', 'postgres'])
        if (s.depends_on?.[dep]?.condition !== 'service_healthy')
          problems.push(`${name}: does not wait for a healthy ${dep}`);
      if (s.user !== '1000:1000' || s.read_only !== true || !s.cap_drop?.includes('ALL') || !s.tmpfs?.includes('/tmp'))
        problems.push(`${name}: not non-root, read-only with a /tmp tmpfs, without capabilities`);
      if (s.environment.HOST !== '0.0.0.0' || s.environment.NODE_ENV !== 'production')
        problems.push(`${name}: HOST/NODE_ENV`);
      const db = databaseOf(name);
      const url = s.environment[`${name.toUpperCase().replace(/-/g, '_')}_DATABASE_URL`];
      if (!url?.startsWith(`postgres://${db.role}:`) || !url.endsWith(`@postgres:5432/${db.database}`))
        problems.push(`${name}: database URL ${url}`);
      if (!String(s.environment.AMQP_URL).endsWith('@rabbitmq:5672')) problems.push(`${name}: AMQP_URL`);
    }
    for (const name of SERVICE_NAMES.filter((n) => n !== 'gateway')) {
      if (compose.services.gateway.depends_on[name]?.condition !== 'service_healthy')
        problems.push(`gateway does not wait for ${name}`);
    }
    for (const infra of ['rabbitmq', 'postgres', 'prometheus'])
      if (!compose.services[infra].healthcheck) problems.push(`${infra}: no healthcheck`);
    assert.deepEqual(problems, []);
  });

  it('publishes nothing beyond loopback; only the gateway of the services', () => {
    const published = Object.entries<any>(compose.services).flatMap(([name, s]) =>
      (s.ports ?? []).map((p: string) => [name, p] as const),
    );
    assert.deepEqual(
      published.filter(([, p]) => !p.startsWith('127.0.0.1:')),
      [],
    );
    assert.deepEqual(
      published.map(([n]) => n).filter((n) => (SERVICE_NAMES as readonly string[]).includes(n)),
      ['gateway'],
    );
  });

  it('Prometheus (the rules, every service a target), Grafana (provisioned dashboards), traces to Jaeger, mail to mailpit', () => {
    const prom = compose.services.prometheus;
    assert.ok(prom.volumes.includes('../prometheus/rules:/etc/prometheus/rules:ro'));
    const config = parse(readFileSync(join(dir, 'prometheus.yml'), 'utf8'));
    assert.deepEqual(config.rule_files, ['/etc/prometheus/rules/simplebank.rules.yml']);
    const targets = config.scrape_configs[0].static_configs.map((c: any) => c.labels.service);
    assert.deepEqual(targets, [...SERVICE_NAMES]);
    const grafana = compose.services.grafana.volumes.join(' ');
    assert.match(grafana, /\.\.\/grafana\/provisioning:\/etc\/grafana\/provisioning/);
    assert.match(grafana, /\.\.\/grafana\/dashboards:\/var\/lib\/grafana\/dashboards\/simplebank/);
    const collector = parse(readFileSync(join(dir, 'otel-collector.yaml'), 'utf8'));
    assert.deepEqual(collector.service.pipelines.traces.exporters, ['otlp/jaeger']);
    assert.equal(collector.exporters['otlp/jaeger'].endpoint, 'jaeger:4317');
    for (const name of SERVICE_NAMES)
      assert.equal(compose.services[name].environment.OTEL_EXPORTER_OTLP_ENDPOINT, 'http://otel-collector:4318');
    assert.equal(compose.services.notifications.environment.SMTP_URL, 'smtp://mailpit:1025');
    assert.match(
      readFileSync(join(dir, 'rabbitmq/enabled_plugins'), 'utf8'),
      /rabbitmq_management.*rabbitmq_prometheus/,
    );
  });

  it('the PostgreSQL init script is valid bash and makes exactly the roles and databases of the Kubernetes manifests', () => {
    const script = join(dir, 'postgres/init-databases.sh');
    execFileSync('bash', ['-n', script]);
    const roles = [...readFileSync(script, 'utf8').matchAll(/^create (\S+) "\$DB_PASSWORD_([A-Z_]+)"$/gm)].map(
      (m) => m[1],
    );
    assert.deepEqual(
      roles,
      SERVICE_NAMES.map((n) => databaseOf(n).role),
    );
  });

  it("each service has the same settings as in Kubernetes (but for the collector's address)", {
    skip: kubectlMissing,
  }, () => {
    const base = render('base');
    const problems: string[] = [];
    for (const name of SERVICE_NAMES) {
      const k8s = containerEnvironment(base, find(base, 'Deployment', name)!, () => 'x');
      const env = compose.services[name].environment;
      for (const [k, v] of Object.entries(k8s)) {
        if (/_DATABASE_(URL|USER|PASSWORD)$|^AMQP_/.test(k) || k === 'OTEL_EXPORTER_OTLP_ENDPOINT' || v === 'x')
          continue;
        if (env[k] !== v) problems.push(`${name}: ${k} is ${env[k]} in Compose, ${v} in Kubernetes`);
      }
    }
    assert.deepEqual(problems, []);
  });
});
