/**
 * The Kubernetes manifests (deploy/k8s): every overlay renders with `kubectl kustomize`; every object
 * of a built-in kind is valid against the Kubernetes JSON schemas (kubernetes-models, offline), the
 * operators' resources (RabbitmqCluster, CloudNativePG Cluster and Database) are checked by their
 * structure; and the rules of issue 13 hold: three probes, requests and limits, non-root, read-only
 * root, no capabilities, seccomp, topology spread on every Deployment; a Service, ConfigMap, PDB,
 * HPA and NetworkPolicy per service; default deny; no Secret in git; production's canary track.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { SERVICE_NAMES } from '../../apps/cli/src/distributed.ts';
import { staleFiles } from '../../scripts/generate-deploy.ts';
import { databaseOf } from '../../scripts/deploy/services.ts';
import { OVERLAYS, find, kubectlMissing, matches, render, root, type K8sObject } from './render.ts';

const CRDS = new Set([
  'rabbitmq.com/v1beta1/RabbitmqCluster',
  'postgresql.cnpg.io/v1/Cluster',
  'postgresql.cnpg.io/v1/Database',
]);

/** kubernetes-models' class for a built-in kind: `apps/v1` + `Deployment` → kubernetes-models/apps/v1/Deployment. */
async function modelOf(
  apiVersion: string,
  kind: string,
): Promise<{ new (data: unknown): { validate(): void } } | undefined> {
  const path = apiVersion.includes('/') ? apiVersion : `v1`;
  try {
    const mod = await import(`kubernetes-models/${path}/${kind}`);
    return mod[kind] ?? mod.default?.[kind];
  } catch {
    return undefined;
  }
}

const quantity = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;

/** Structural checks of the operators' resources (their CRDs' schemas are not shipped offline). */
function checkCustomResource(o: K8sObject, all: K8sObject[]): string[] {
  const problems: string[] = [];
  const s = o.spec ?? {};
  if (o.kind === 'RabbitmqCluster') {
    if (!Number.isInteger(s.replicas) || s.replicas < 1 || s.replicas % 2 === 0)
      problems.push('replicas must be an odd number ≥ 1 (quorum)');
    if (!quantity.test(String(s.persistence?.storage))) problems.push('persistence.storage must be a quantity');
    for (const k of ['requests', 'limits'])
      for (const r of ['cpu', 'memory'])
        if (!quantity.test(String(s.resources?.[k]?.[r]))) problems.push(`resources.${k}.${r} missing`);
    for (const p of ['rabbitmq_management', 'rabbitmq_prometheus'])
      if (!s.rabbitmq?.additionalPlugins?.includes(p)) problems.push(`plugin ${p} missing`);
  } else if (o.kind === 'Cluster') {
    if (!Number.isInteger(s.instances) || s.instances < 1) problems.push('instances must be ≥ 1');
    if (!quantity.test(String(s.storage?.size))) problems.push('storage.size must be a quantity');
    if (typeof s.imageName !== 'string' || !/:\d+/.test(s.imageName))
      problems.push('imageName must pin a PostgreSQL major version');
    const roles: any[] = s.managed?.roles ?? [];
    for (const name of SERVICE_NAMES) {
      const db = databaseOf(name);
      const role = roles.find((r) => r.name === db.role);
      if (!role) problems.push(`no managed role ${db.role}`);
      else if (role.login !== true || role.ensure !== 'present' || role.passwordSecret?.name !== db.secret)
        problems.push(`role ${db.role}: login, ensure present and passwordSecret ${db.secret} expected`);
    }
    if (!(Number(s.postgresql?.parameters?.max_connections) > 0)) problems.push('max_connections must be set');
  } else if (o.kind === 'Database') {
    const cluster = all.find((c) => c.kind === 'Cluster');
    if (s.cluster?.name !== cluster?.metadata.name)
      problems.push(`cluster.name ${s.cluster?.name} is not the Cluster ${cluster?.metadata.name}`);
    if (!s.name || !s.owner) problems.push('name and owner required');
    if (!(cluster?.spec.managed?.roles ?? []).some((r: any) => r.name === s.owner))
      problems.push(`owner ${s.owner} is not a managed role`);
  }
  return problems;
}

/** Every problem of one Deployment against the rules. */
function deploymentProblems(d: K8sObject): string[] {
  const problems: string[] = [];
  const pod = d.spec.template.spec;
  const name = d.metadata.name;
  if (!matches(d.spec.selector.matchLabels, d.spec.template.metadata.labels))
    problems.push('selector does not match its pod labels');
  if (pod.securityContext?.runAsNonRoot !== true) problems.push('pod runAsNonRoot');
  if (!(pod.securityContext?.runAsUser > 0)) problems.push('pod runAsUser must be a non-zero uid');
  if (pod.securityContext?.seccompProfile?.type !== 'RuntimeDefault') problems.push('pod seccomp RuntimeDefault');
  if (pod.automountServiceAccountToken !== false) problems.push('automountServiceAccountToken must be false');
  if ((pod.topologySpreadConstraints ?? []).length === 0) problems.push('no topologySpreadConstraints');
  for (const t of pod.topologySpreadConstraints ?? [])
    if (!matches(t.labelSelector.matchLabels, d.spec.template.metadata.labels))
      problems.push('a spread constraint selects other pods');
  for (const c of pod.containers) {
    const where = `container ${c.name}`;
    const probe = (p: any, path: string, what: string) => {
      if (!p) problems.push(`${where}: no ${what}`);
      else if (p.httpGet?.path !== path) problems.push(`${where}: ${what} must GET ${path}`);
      else if (!c.ports?.some((port: any) => port.name === p.httpGet.port || port.containerPort === p.httpGet.port))
        problems.push(`${where}: ${what} port ${p.httpGet.port} is not a container port`);
    };
    probe(c.startupProbe, '/health/live', 'startupProbe');
    probe(c.livenessProbe, '/health/live', 'livenessProbe');
    probe(c.readinessProbe, '/health/ready', 'readinessProbe');
    for (const k of ['requests', 'limits'])
      for (const r of ['cpu', 'memory']) if (!c.resources?.[k]?.[r]) problems.push(`${where}: no ${k}.${r}`);
    const sc = c.securityContext ?? {};
    if (sc.runAsNonRoot !== true) problems.push(`${where}: runAsNonRoot`);
    if (sc.readOnlyRootFilesystem !== true) problems.push(`${where}: readOnlyRootFilesystem`);
    if (sc.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation false`);
    if (!sc.capabilities?.drop?.includes('ALL') || (sc.capabilities?.add ?? []).length > 0)
      problems.push(`${where}: capabilities must drop ALL and add none`);
    if (sc.seccompProfile?.type !== 'RuntimeDefault') problems.push(`${where}: seccomp RuntimeDefault`);
    const tmp = (c.volumeMounts ?? []).find((m: any) => m.mountPath === '/tmp');
    if (!tmp || !pod.volumes?.some((v: any) => v.name === tmp.name && v.emptyDir))
      problems.push(`${where}: /tmp must be an emptyDir (read-only root)`);
    // $(VAR) references must name a variable defined before (else Kubernetes leaves them as they are).
    const defined = new Set<string>();
    for (const e of c.env ?? []) {
      for (const [, ref] of String(e.value ?? '').matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g))
        if (!defined.has(ref!)) problems.push(`${where}: ${e.name} refers to $(${ref}) before it is defined`);
      defined.add(e.name);
    }
  }
  return problems.map((p) => `Deployment ${name}: ${p}`);
}

describe('Kubernetes manifests', { skip: kubectlMissing }, () => {
  it('the generated files are current (npm run deploy:generate)', () => {
    assert.deepEqual(staleFiles(), []);
  });

  it('every service folder is a service the launcher starts (and so is deployed)', () => {
    const folders = readdirSync(join(root, 'services'), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    assert.deepEqual(folders, [...SERVICE_NAMES].sort());
  });

  for (const overlay of OVERLAYS) {
    describe(overlay, () => {
      const objects = () => render(overlay);

      it('renders with kubectl kustomize', () => {
        assert.ok(objects().length > 0);
      });

      it('every object is valid: built-in kinds against the Kubernetes JSON schemas, operator resources by structure', async () => {
        const problems: string[] = [];
        let validated = 0;
        for (const o of objects()) {
          const id = `${o.kind} ${o.metadata?.name}`;
          if (!o.metadata?.name) problems.push(`${o.kind}: no name`);
          if (CRDS.has(`${o.apiVersion}/${o.kind}`)) {
            problems.push(...checkCustomResource(o, objects()).map((p) => `${id}: ${p}`));
            continue;
          }
          const Model = await modelOf(o.apiVersion, o.kind);
          if (!Model) {
            problems.push(`${id}: ${o.apiVersion} ${o.kind} is neither a built-in kind nor a known operator resource`);
            continue;
          }
          try {
            new Model(o).validate();
            validated++;
          } catch (err) {
            problems.push(`${id}: ${(err as Error).message}`);
          }
        }
        assert.deepEqual(problems, []);
        assert.ok(validated > 50, `only ${validated} objects validated`);
      });

      it('every Deployment: three probes, requests and limits, non-root, read-only root, no capabilities, seccomp, spread', () => {
        const deployments = objects().filter((o) => o.kind === 'Deployment');
        assert.ok(deployments.length >= SERVICE_NAMES.length);
        assert.deepEqual(deployments.flatMap(deploymentProblems), []);
      });

      it('every service has its Deployment, Service, ConfigMap, PodDisruptionBudget, HorizontalPodAutoscaler and NetworkPolicy', () => {
        const all = objects();
        const problems: string[] = [];
        for (const name of SERVICE_NAMES) {
          const d = find(all, 'Deployment', name);
          if (!d) {
            problems.push(`${name}: no Deployment`);
            continue;
          }
          const labels = d.spec.template.metadata.labels;
          const svc = find(all, 'Service', name);
          if (!svc || !matches(svc.spec.selector, labels)) problems.push(`${name}: no Service selecting its pods`);
          else if (svc.spec.selector.track)
            problems.push(`${name}: the Service must not select by track (the canary shares it)`);
          const refs = d.spec.template.spec.containers[0].envFrom.map((e: any) => e.configMapRef.name);
          if (!refs.some((r: string) => r.startsWith(`simplebank-${name}`) && find(all, 'ConfigMap', r)))
            problems.push(`${name}: no ConfigMap of its own`);
          const pdb = all.find((o) => o.kind === 'PodDisruptionBudget' && matches(o.spec.selector.matchLabels, labels));
          if (!pdb) problems.push(`${name}: no PodDisruptionBudget`);
          const hpa = all.find(
            (o) =>
              o.kind === 'HorizontalPodAutoscaler' &&
              o.spec.scaleTargetRef.kind === 'Deployment' &&
              o.spec.scaleTargetRef.name === name,
          );
          if (!hpa) problems.push(`${name}: no HorizontalPodAutoscaler`);
          else {
            if (!(hpa.spec.minReplicas >= 1 && hpa.spec.maxReplicas >= hpa.spec.minReplicas))
              problems.push(`${name}: HPA bounds`);
            if (d.spec.replicas !== undefined)
              problems.push(`${name}: replicas set beside an HPA (every apply would reset them)`);
          }
          const np = all.find(
            (o) =>
              o.kind === 'NetworkPolicy' &&
              Object.keys(o.spec.podSelector).length > 0 &&
              matches(o.spec.podSelector.matchLabels ?? {}, labels),
          );
          if (!np) problems.push(`${name}: no NetworkPolicy of its own`);
          else {
            const egressPorts = (np.spec.egress ?? []).flatMap((e: any) => (e.ports ?? []).map((p: any) => p.port));
            for (const port of [5672, 5432])
              if (!egressPorts.includes(port)) problems.push(`${name}: no egress to port ${port}`);
            const fromIngressController = (np.spec.ingress ?? []).some((r: any) =>
              (r.from ?? []).some(
                (f: any) => f.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'ingress-nginx',
              ),
            );
            if (fromIngressController !== (name === 'gateway'))
              problems.push(`${name}: ingress from the ingress controller must be the gateway's alone`);
            const scraped = (np.spec.ingress ?? []).some((r: any) =>
              (r.from ?? []).some(
                (f: any) => f.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'monitoring',
              ),
            );
            if (!scraped) problems.push(`${name}: Prometheus may not scrape it`);
          }
          if (d.spec.template.metadata.annotations?.['prometheus.io/scrape'] !== 'true')
            problems.push(`${name}: no scrape annotation`);
        }
        assert.deepEqual(problems, []);
      });

      it('default deny: a NetworkPolicy selecting every pod, both directions, no rule', () => {
        const deny = objects().find(
          (o) =>
            o.kind === 'NetworkPolicy' &&
            Object.keys(o.spec.podSelector ?? {}).length === 0 &&
            !o.spec.ingress &&
            !o.spec.egress,
        );
        assert.ok(deny, 'no default-deny NetworkPolicy');
        assert.deepEqual([...deny.spec.policyTypes].sort(), ['Egress', 'Ingress']);
        assert.ok(
          objects().some(
            (o) =>
              o.kind === 'NetworkPolicy' && o.spec.egress?.some((e: any) => e.ports?.some((p: any) => p.port === 53)),
          ),
          'no DNS egress',
        );
      });

      it('only the gateway is public; no Secret is in the manifests (referenced, made outside git)', () => {
        const all = objects();
        assert.deepEqual(
          all.filter((o) => o.kind === 'Ingress').map((o) => o.spec.rules[0].http.paths[0].backend.service.name),
          ['gateway'],
        );
        assert.deepEqual(
          all
            .filter((o) => o.kind === 'Service' && o.spec.type && o.spec.type !== 'ClusterIP')
            .map((o) => o.metadata.name),
          [],
        );
        assert.deepEqual(
          all.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name),
          [],
        );
      });

      if (overlay !== 'base') {
        it("every namespaced object is in the overlay's namespace; images are the registry's, never latest", () => {
          const all = objects();
          const ns = all.find((o) => o.kind === 'Namespace')!.metadata.name;
          assert.deepEqual(
            all
              .filter((o) => o.kind !== 'Namespace' && o.metadata.namespace !== ns)
              .map((o) => `${o.kind} ${o.metadata.name}`),
            [],
          );
          const images = all
            .filter((o) => o.kind === 'Deployment')
            .flatMap((d) => d.spec.template.spec.containers.map((c: any) => c.image));
          for (const image of images)
            assert.match(image, /^[a-z0-9.-]+\/[a-z0-9/._-]+(:[\w.-]+|@sha256:[0-9a-f]{64})$/, image);
          assert.ok(!images.some((i) => i.endsWith(':latest')));
        });
      }
    });
  }

  it('production: a track: canary Deployment per service beside the stable one, sharing its Service, 0 replicas, no HPA', () => {
    const all = render('overlays/production');
    const problems: string[] = [];
    for (const name of SERVICE_NAMES) {
      const stable = find(all, 'Deployment', name)!;
      const canary = find(all, 'Deployment', `${name}-canary`);
      if (!canary) {
        problems.push(`${name}: no canary Deployment`);
        continue;
      }
      const svc = find(all, 'Service', name)!;
      if (
        canary.spec.template.metadata.labels.track !== 'canary' ||
        canary.spec.selector.matchLabels.track !== 'canary'
      )
        problems.push(`${name}: canary not labelled track: canary`);
      if (
        stable.spec.template.metadata.labels.track !== 'stable' ||
        stable.spec.selector.matchLabels.track !== 'stable'
      )
        problems.push(`${name}: stable not labelled track: stable`);
      if (!matches(svc.spec.selector, canary.spec.template.metadata.labels))
        problems.push(`${name}: the Service does not select the canary`);
      if (!matches(svc.spec.selector, stable.spec.template.metadata.labels))
        problems.push(`${name}: the Service does not select the stable pods`);
      if (matches(stable.spec.selector.matchLabels, canary.spec.template.metadata.labels))
        problems.push(`${name}: the stable Deployment would adopt canary pods`);
      if (canary.spec.replicas !== 0)
        problems.push(`${name}: canary replicas ${canary.spec.replicas}, expected 0 until shifted`);
      if (all.some((o) => o.kind === 'HorizontalPodAutoscaler' && o.spec.scaleTargetRef.name === canary.metadata.name))
        problems.push(`${name}: the canary has an HPA`);
      // Same configuration as stable: only the image and the labels differ.
      const strip = (d: K8sObject) => {
        const c = structuredClone(d.spec.template.spec);
        for (const x of c.containers) delete x.image;
        for (const t of c.topologySpreadConstraints) delete t.labelSelector;
        return c;
      };
      // Production makes stable pods' zone spread strict; otherwise they are alike.
      const s = strip(stable);
      const k = strip(canary);
      s.topologySpreadConstraints[0].whenUnsatisfiable = k.topologySpreadConstraints[0].whenUnsatisfiable;
      if (JSON.stringify(s) !== JSON.stringify(k))
        problems.push(`${name}: the canary's pod differs from the stable one beyond its image`);
      if (!canary.spec.template.spec.containers[0].image.startsWith('registry.example.com/simplebank'))
        problems.push(`${name}: canary image not set by the overlay's simplebank-canary entry`);
    }
    assert.deepEqual(problems, []);
  });

  it('Prometheus on Kubernetes (deploy/prometheus/prometheus-kubernetes.yml) scrapes the pods as the manifests annotate and label them', () => {
    const config = parse(readFileSync(join(root, 'deploy/prometheus/prometheus-kubernetes.yml'), 'utf8'));
    const job = config.scrape_configs.find((j: any) => j.job_name === 'simplebank-kubernetes');
    const namespaces = job.kubernetes_sd_configs[0].namespaces.names;
    for (const overlay of ['overlays/staging', 'overlays/production'])
      assert.ok(namespaces.includes(render(overlay).find((o) => o.kind === 'Namespace')!.metadata.name), overlay);
    const relabel = (source: string) => job.relabel_configs.find((r: any) => r.source_labels?.includes(source));
    assert.equal(relabel('__meta_kubernetes_pod_annotation_prometheus_io_scrape').regex, 'true');
    assert.equal(relabel('__meta_kubernetes_pod_label_app_kubernetes_io_name').target_label, 'service');
    assert.equal(relabel('__meta_kubernetes_pod_label_track').target_label, 'track');
    for (const d of render('overlays/production').filter((o) => o.kind === 'Deployment')) {
      const a = d.spec.template.metadata.annotations;
      assert.equal(a['prometheus.io/scrape'], 'true');
      assert.equal(Number(a['prometheus.io/port']), d.spec.template.spec.containers[0].ports[0].containerPort);
      assert.equal(a['prometheus.io/path'], '/metrics');
      assert.equal(d.spec.template.metadata.labels['app.kubernetes.io/part-of'], 'simplebank');
    }
    assert.deepEqual(config.rule_files, ['rules/simplebank.rules.yml']);
  });

  it("create-secrets.sh makes every Secret the Deployments reference (but the operators' and optional ones), valid, with fresh values, once", async () => {
    const bin = mkdtempSync(join(tmpdir(), 'simplebank-kubectl-'));
    try {
      // A stand-in kubectl: `get` finds nothing the first time, `apply -f -` appends what it is given.
      writeFileSync(
        join(bin, 'kubectl'),
        `#!/bin/sh\ncase "$*" in *" get secret "*) grep -q "name: $5$" "${bin}/applied" 2>/dev/null;; *apply*) cat >> "${bin}/applied"; echo --- >> "${bin}/applied";; esac\n`,
        { mode: 0o755 },
      );
      const script = join(root, 'deploy/k8s/create-secrets.sh');
      const runScript = () =>
        execFileSync('bash', [script, 'simplebank'], { env: { PATH: `${bin}:${process.env.PATH}` }, encoding: 'utf8' });
      runScript();
      const second = runScript();
      assert.doesNotMatch(second, /created/, 'a second run must keep the existing Secrets');
      const secrets = parseAllDocuments(readFileSync(join(bin, 'applied'), 'utf8'))
        .map((d) => d.toJS())
        .filter(Boolean) as K8sObject[];
      const Secret = (await modelOf('v1', 'Secret'))!;
      for (const secret of secrets) new Secret(secret).validate();
      const refs = render('overlays/production')
        .filter((o) => o.kind === 'Deployment')
        .flatMap((d) =>
          d.spec.template.spec.containers.flatMap((c: any) =>
            (c.env ?? [])
              .filter((e: any) => e.valueFrom?.secretKeyRef && !e.valueFrom.secretKeyRef.optional)
              .map((e: any) => e.valueFrom.secretKeyRef),
          ),
        );
      const missing = refs.filter(
        (r: any) =>
          !r.name.endsWith('-default-user') &&
          secrets.find((s) => s.metadata.name === r.name)?.stringData?.[r.key] === undefined,
      );
      assert.deepEqual(missing, []);
      const values = secrets.flatMap((s) =>
        Object.entries(s.stringData!)
          .filter(([k]) => k === 'password' || k === 'api-key' || k === 'jwt-secret')
          .map(([, v]) => v),
      );
      assert.equal(new Set(values).size, values.length, 'every random value differs');
      for (const v of values) assert.match(String(v), /^[0-9a-f]{48}$/);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it('staging has no canary track', () => {
    assert.deepEqual(
      render('overlays/staging')
        .filter((o) => o.kind === 'Deployment' && o.metadata.name.endsWith('-canary'))
        .map((o) => o.metadata.name),
      [],
    );
  });

  it('the schema validation catches a broken object (it is not vacuous)', async () => {
    const d = structuredClone(find(render('base'), 'Deployment', 'orders')!);
    d.spec.template.spec.containers[0].resources.limits.cpu = 'two cores';
    const Model = (await modelOf('apps/v1', 'Deployment'))!;
    assert.throws(() => new Model(d).validate(), /quantity/);
    delete d.spec.template.spec.containers[0].livenessProbe;
    assert.match(deploymentProblems(d).join('\n'), /no livenessProbe/);
  });
});
