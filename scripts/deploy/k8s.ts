/**
 * The Kubernetes manifests of deploy/k8s/base (and the production canary track), built from the
 * table in services.ts. Typed with kubernetes-types, so a misspelt field fails `npm run lint`
 * (tsc) before any cluster sees it; test/deploy validates the rendered overlays against the
 * Kubernetes JSON schemas as well.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2.js';
import type {
  Container,
  EnvVar,
  PodSpec,
  Probe,
  Service,
  ServiceAccount,
  TopologySpreadConstraint,
} from 'kubernetes-types/core/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type {
  HTTPIngressPath,
  Ingress,
  NetworkPolicy,
  NetworkPolicyPeer,
  NetworkPolicyPort,
} from 'kubernetes-types/networking/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import {
  CANARY_IMAGE,
  COMMON_CONFIG,
  FEATURE_FLAGS_CONFIGMAP,
  FEATURE_FLAGS_DIR,
  FEATURE_FLAGS_SOURCE,
  IMAGE,
  NAMESPACES,
  PORT,
  POSTGRES_CLUSTER,
  RABBITMQ_CLUSTER,
  SERVICES,
  UID,
  databaseOf,
  envPrefix,
  httpCallers,
  type ServiceSpec,
} from './services.ts';

const REPOSITORY = fileURLToPath(new URL('../..', import.meta.url));

type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; [k: string]: unknown };
  [k: string]: unknown;
};

const PART_OF = 'simplebank';
const nameLabel = 'app.kubernetes.io/name';

export function podLabels(service: string, track: 'stable' | 'canary'): Record<string, string> {
  return {
    [nameLabel]: service,
    'app.kubernetes.io/part-of': PART_OF,
    'app.kubernetes.io/component': 'service',
    track,
  };
}
/** What a Service, a PDB and a NetworkPolicy select: every pod of the service, stable and canary alike. */
export function serviceSelector(service: string): Record<string, string> {
  return { [nameLabel]: service, 'app.kubernetes.io/part-of': PART_OF };
}
function labels(service: string): Record<string, string> {
  return { [nameLabel]: service, 'app.kubernetes.io/part-of': PART_OF };
}

const SIMPLEBANK_PODS: LabelSelector = {
  matchLabels: { 'app.kubernetes.io/part-of': PART_OF, 'app.kubernetes.io/component': 'service' },
};
const RABBITMQ_PODS: LabelSelector = { matchLabels: { [nameLabel]: RABBITMQ_CLUSTER } };
const POSTGRES_PODS: LabelSelector = { matchLabels: { 'cnpg.io/cluster': POSTGRES_CLUSTER } };
const inNamespace = (ns: string, pods?: LabelSelector): NetworkPolicyPeer => ({
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
  ...(pods ? { podSelector: pods } : {}),
});
const PROMETHEUS: NetworkPolicyPeer = inNamespace(NAMESPACES.monitoring, {
  matchLabels: { [nameLabel]: 'prometheus' },
});
const tcp = (...ports: number[]): NetworkPolicyPort[] => ports.map((port) => ({ protocol: 'TCP', port }));

/** The service's environment beyond its ConfigMaps: the broker's and its database's URLs, composed from Secrets. */
export function secretEnv(spec: ServiceSpec): EnvVar[] {
  const prefix = envPrefix(spec.name);
  const db = databaseOf(spec.name);
  const fromSecret = (env: string, name: string, key: string, optional?: boolean): EnvVar => ({
    name: env,
    valueFrom: { secretKeyRef: { name, key, ...(optional ? { optional: true } : {}) } },
  });
  return [
    // The RabbitMQ Cluster Operator's default user (`<cluster>-default-user`, made by the operator).
    fromSecret('AMQP_USERNAME', `${RABBITMQ_CLUSTER}-default-user`, 'username'),
    fromSecret('AMQP_PASSWORD', `${RABBITMQ_CLUSTER}-default-user`, 'password'),
    { name: 'AMQP_URL', value: `amqp://$(AMQP_USERNAME):$(AMQP_PASSWORD)@${RABBITMQ_CLUSTER}:5672` },
    // Its own role on its own database (CloudNativePG managed role; basic-auth Secret made by the operator of the cluster).
    fromSecret(`${prefix}_DATABASE_USER`, db.secret, 'username'),
    fromSecret(`${prefix}_DATABASE_PASSWORD`, db.secret, 'password'),
    {
      name: `${prefix}_DATABASE_URL`,
      value: `postgres://$(${prefix}_DATABASE_USER):$(${prefix}_DATABASE_PASSWORD)@${POSTGRES_CLUSTER}-rw:5432/${db.database}`,
    },
    ...spec.secrets.map((s) => fromSecret(s.env, s.secret, s.key, s.optional)),
  ];
}

const probe = (path: string, over: Partial<Probe>): Probe => ({
  httpGet: { path, port: 'http' },
  timeoutSeconds: 2,
  ...over,
});

function container(spec: ServiceSpec, image: string): Container {
  return {
    name: spec.name,
    image,
    imagePullPolicy: 'IfNotPresent',
    // The image's entrypoint is `tini -- node --import tsx`; the argument picks the service.
    args: [`services/${spec.name}/src/main.ts`],
    ports: [{ name: 'http', containerPort: PORT, protocol: 'TCP' }],
    envFrom: [{ configMapRef: { name: 'simplebank-common' } }, { configMapRef: { name: `simplebank-${spec.name}` } }],
    env: secretEnv(spec),
    // Loading the code through tsx and running migrations takes seconds of CPU: up to 2 minutes to start.
    startupProbe: probe('/health/live', { periodSeconds: 2, failureThreshold: 60 }),
    livenessProbe: probe('/health/live', { periodSeconds: 10, failureThreshold: 3 }),
    // Not ready while its database or the broker is unreachable, or while draining.
    readinessProbe: probe('/health/ready', { periodSeconds: 5, failureThreshold: 2 }),
    resources: {
      requests: { cpu: spec.resources.cpu, memory: spec.resources.memory },
      limits: { cpu: spec.resources.cpuLimit, memory: spec.resources.memoryLimit },
    },
    securityContext: {
      runAsNonRoot: true,
      runAsUser: UID,
      runAsGroup: UID,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    // Let endpoints and the ingress controller forget the pod before it drains (SIGTERM: readiness false,
    // in-flight work finished, the outbox flushed, within 10 s).
    lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } },
    volumeMounts: [
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'feature-flags', mountPath: FEATURE_FLAGS_DIR, readOnly: true },
    ],
  };
}

function podSpec(spec: ServiceSpec, image: string, track: 'stable' | 'canary'): PodSpec {
  const spread = (topologyKey: string): TopologySpreadConstraint => ({
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable: 'ScheduleAnyway',
    labelSelector: { matchLabels: { [nameLabel]: spec.name, track } },
    matchLabelKeys: ['pod-template-hash'],
  });
  return {
    serviceAccountName: spec.name,
    automountServiceAccountToken: false, // no service talks to the Kubernetes API
    enableServiceLinks: false, // no <SERVICE>_PORT variables beside the settings
    terminationGracePeriodSeconds: 30,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: UID,
      runAsGroup: UID,
      fsGroup: UID,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    topologySpreadConstraints: [spread('topology.kubernetes.io/zone'), spread('kubernetes.io/hostname')],
    containers: [container(spec, image)],
    // The only writable place: tsx's compile cache, SIMPLEBANK_DATA_DIR (the file sinks).
    // The flags: a ConfigMap volume, which the kubelet updates in place (re-read by the chassis).
    volumes: [
      { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } },
      { name: 'feature-flags', configMap: { name: FEATURE_FLAGS_CONFIGMAP } },
    ],
  };
}

export function deployment(spec: ServiceSpec, track: 'stable' | 'canary'): Deployment {
  const canary = track === 'canary';
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: canary ? `${spec.name}-canary` : spec.name, labels: { ...labels(spec.name), track } },
    spec: {
      // Stable: no replicas here, the HorizontalPodAutoscaler owns them. Canary: none until shifted (docs/deploy.md).
      ...(canary ? { replicas: 0 } : {}),
      revisionHistoryLimit: 5,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
      selector: { matchLabels: { [nameLabel]: spec.name, track } },
      template: {
        metadata: {
          labels: podLabels(spec.name, track),
          annotations: {
            'prometheus.io/scrape': 'true',
            'prometheus.io/port': String(PORT),
            'prometheus.io/path': '/metrics',
          },
        },
        spec: podSpec(spec, canary ? CANARY_IMAGE : IMAGE, track),
      },
    },
  };
}

function networkPolicy(spec: ServiceSpec): NetworkPolicy {
  const callers = httpCallers(spec.name);
  const byName = (names: string[]): NetworkPolicyPeer => ({
    podSelector: { matchExpressions: [{ key: nameLabel, operator: 'In', values: names }] },
  });
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: spec.name, labels: labels(spec.name) },
    spec: {
      podSelector: { matchLabels: serviceSelector(spec.name) },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        { from: [PROMETHEUS], ports: tcp(PORT) },
        ...(spec.public ? [{ from: [inNamespace(NAMESPACES.ingress)], ports: tcp(PORT) }] : []),
        ...(callers.length > 0 ? [{ from: [byName(callers)], ports: tcp(PORT) }] : []),
      ],
      egress: [
        { to: [{ podSelector: RABBITMQ_PODS }], ports: tcp(5672) },
        { to: [{ podSelector: POSTGRES_PODS }], ports: tcp(5432) },
        { to: [inNamespace(NAMESPACES.observability)], ports: tcp(4318) },
        ...(spec.httpCalls.length > 0 ? [{ to: [byName(spec.httpCalls)], ports: tcp(PORT) }] : []),
        // The SMTP relay is outside the cluster: narrow the ipBlock to its address in an overlay.
        ...(spec.smtp ? [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: tcp(25, 465, 587) }] : []),
      ],
    },
  };
}

export function serviceManifests(spec: ServiceSpec): Manifest[] {
  const sa: ServiceAccount = {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: spec.name, labels: labels(spec.name) },
    automountServiceAccountToken: false,
  };
  const svc: Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: spec.name, labels: labels(spec.name) },
    spec: {
      type: 'ClusterIP',
      selector: serviceSelector(spec.name), // both tracks: a canary takes its share of requests
      ports: [{ name: 'http', port: PORT, targetPort: 'http', protocol: 'TCP' }],
    },
  };
  const pdb: PodDisruptionBudget = {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: spec.name, labels: labels(spec.name) },
    spec: { maxUnavailable: 1, selector: { matchLabels: serviceSelector(spec.name) } },
  };
  const hpa: HorizontalPodAutoscaler = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: spec.name, labels: labels(spec.name) },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: spec.name },
      minReplicas: spec.replicas.min,
      maxReplicas: spec.replicas.max,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
      ],
      behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
    },
  };
  const out: Manifest[] = [sa, svc, deployment(spec, 'stable'), pdb, hpa, networkPolicy(spec)] as Manifest[];
  if (spec.public) out.push(ingress(spec) as Manifest);
  return out;
}

/** The gateway's public API only (not /metrics, not /health): overlays set the host and TLS. */
function ingress(spec: ServiceSpec): Ingress {
  const path = (p: string): HTTPIngressPath => ({
    path: p,
    pathType: 'Prefix',
    backend: { service: { name: spec.name, port: { name: 'http' } } },
  });
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: spec.name, labels: labels(spec.name) },
    spec: {
      ingressClassName: 'nginx',
      tls: [{ hosts: ['simplebank.example.com'], secretName: 'simplebank-tls' }],
      rules: [{ host: 'simplebank.example.com', http: { paths: [path('/v1'), path('/docs')] } }],
    },
  };
}

/** Default deny in both directions for every pod of the namespace; DNS for all. */
export function commonManifests(): Manifest[] {
  const deny: NetworkPolicy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'default-deny', labels: { 'app.kubernetes.io/part-of': PART_OF } },
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  };
  const dns: NetworkPolicy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'allow-dns', labels: { 'app.kubernetes.io/part-of': PART_OF } },
    spec: {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [inNamespace('kube-system', { matchLabels: { 'k8s-app': 'kube-dns' } })],
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
      ],
    },
  };
  // A plain ConfigMap, not a generator: no content hash in its name, so a change reaches the
  // running pods' mounted file (and the chassis's reload) instead of rolling every Deployment.
  const flags: Manifest = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: FEATURE_FLAGS_CONFIGMAP, labels: { 'app.kubernetes.io/part-of': PART_OF } },
    data: { 'flags.json': readFileSync(join(REPOSITORY, FEATURE_FLAGS_SOURCE), 'utf8') },
  };
  return [deny, dns, flags] as Manifest[];
}

/** RabbitMQ through the RabbitMQ Cluster Operator (management and prometheus plugins are on by default there). */
export function rabbitmqManifests(): Manifest[] {
  const cluster: Manifest = {
    apiVersion: 'rabbitmq.com/v1beta1',
    kind: 'RabbitmqCluster',
    metadata: { name: RABBITMQ_CLUSTER, labels: { 'app.kubernetes.io/part-of': PART_OF } },
    spec: {
      replicas: 3,
      resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '2', memory: '1Gi' } },
      persistence: { storage: '10Gi' },
      rabbitmq: {
        additionalPlugins: ['rabbitmq_management', 'rabbitmq_prometheus'],
        additionalConfig: 'cluster_partition_handling = pause_minority\nvm_memory_high_watermark_paging_ratio = 0.9\n',
      },
      affinity: {
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: RABBITMQ_PODS } },
          ],
        },
      },
    },
  };
  const policy: NetworkPolicy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: RABBITMQ_CLUSTER, labels: { 'app.kubernetes.io/part-of': PART_OF } },
    spec: {
      podSelector: RABBITMQ_PODS,
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        { from: [{ podSelector: SIMPLEBANK_PODS }], ports: tcp(5672) },
        { from: [{ podSelector: RABBITMQ_PODS }] }, // clustering (epmd, distribution) between its nodes
        { from: [inNamespace(NAMESPACES.rabbitmq)], ports: tcp(15672) }, // the operator's management API calls
        { from: [PROMETHEUS], ports: tcp(15692) },
      ],
      egress: [
        { to: [{ podSelector: RABBITMQ_PODS }] },
        // Peer discovery (rabbitmq_peer_discovery_k8s) asks the Kubernetes API server: narrow to its address in an overlay.
        { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: tcp(443, 6443) },
      ],
    },
  };
  return [cluster, policy as Manifest];
}

/** Connections the services may open at most: 10 per pod (the chassis's pool), every pod at its HPA maximum, plus a canary each. */
export function maxServiceConnections(): number {
  return SERVICES.reduce((n, s) => n + (s.replicas.max + 1) * 10, 0);
}

/** PostgreSQL through CloudNativePG: one cluster, a role and a database per service (createDatabases is off with a service's own URL). */
export function postgresManifests(): Manifest[] {
  const cluster: Manifest = {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    metadata: { name: POSTGRES_CLUSTER, labels: { 'app.kubernetes.io/part-of': PART_OF } },
    spec: {
      instances: 3,
      imageName: 'ghcr.io/cloudnative-pg/postgresql:18',
      primaryUpdateStrategy: 'unsupervised',
      storage: { size: '20Gi' },
      resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { cpu: '2', memory: '2Gi' } },
      postgresql: { parameters: { max_connections: String(maxServiceConnections() + 50), shared_buffers: '512MB' } },
      affinity: {
        enablePodAntiAffinity: true,
        topologyKey: 'kubernetes.io/hostname',
        podAntiAffinityType: 'preferred',
      },
      managed: {
        roles: SERVICES.map((s) => {
          const db = databaseOf(s.name);
          return {
            name: db.role,
            ensure: 'present',
            login: true,
            connectionLimit: (s.replicas.max + 1) * 10 + 5,
            passwordSecret: { name: db.secret },
          };
        }),
      },
    },
  };
  const databases: Manifest[] = SERVICES.map((s) => {
    const db = databaseOf(s.name);
    return {
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Database',
      metadata: { name: db.secret.replace(/^simplebank-db-/, 'simplebank-'), labels: labels(s.name) },
      spec: { name: db.database, owner: db.role, ensure: 'present', cluster: { name: POSTGRES_CLUSTER } },
    };
  });
  const policy: NetworkPolicy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: POSTGRES_CLUSTER, labels: { 'app.kubernetes.io/part-of': PART_OF } },
    spec: {
      podSelector: POSTGRES_PODS,
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        { from: [{ podSelector: SIMPLEBANK_PODS }], ports: tcp(5432) },
        { from: [{ podSelector: POSTGRES_PODS }], ports: tcp(5432, 8000) }, // replication, instance manager
        { from: [inNamespace(NAMESPACES.cnpg)], ports: tcp(5432, 8000) }, // the operator
        { from: [PROMETHEUS], ports: tcp(9187) },
      ],
      egress: [
        { to: [{ podSelector: POSTGRES_PODS }], ports: tcp(5432, 8000) },
        // The instance manager talks to the Kubernetes API server (not selectable by labels): narrow to its address in an overlay.
        { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: tcp(443, 6443) },
      ],
    },
  };
  return [cluster, ...databases, policy as Manifest];
}

/** The shared settings (ConfigMap generator literals) and each service's. */
export function configMapGenerators(): Array<{ name: string; literals: string[] }> {
  const literals = (data: Record<string, string>) => Object.entries(data).map(([k, v]) => `${k}=${v}`);
  return [
    { name: 'simplebank-common', literals: literals(COMMON_CONFIG) },
    ...SERVICES.map((s) => ({ name: `simplebank-${s.name}`, literals: literals(s.config) })),
  ];
}

/**
 * deploy/k8s/create-secrets.sh: makes, in a namespace, every Secret the manifests reference and no
 * operator makes, with random values (hex: safe inside the URLs the Deployments compose), leaving
 * existing ones alone. Values go to kubectl on stdin, never on a command line or in git.
 */
export function secretsScript(): string {
  const db = SERVICES.map((s) => `basic_auth ${databaseOf(s.name).secret} ${databaseOf(s.name).role}`);
  const others = new Map<string, string[]>();
  for (const s of SERVICES)
    for (const x of s.secrets)
      if (!x.optional) others.set(x.secret, [...new Set([...(others.get(x.secret) ?? []), x.key])]);
  const lines = [...others].map(
    ([secret, keys]) =>
      `generic ${secret} ${keys.map((k) => (k === 'email' ? `${k}=\${SIMPLEBANK_ADMIN_EMAIL:-admin@simplebank.example.com}` : `${k}=$(random)`)).join(' ')}`,
  );
  return `#!/usr/bin/env bash
# Generated by scripts/generate-deploy.ts: do not edit. Makes the Secrets SimpleBank's manifests
# reference in namespace $1 (simplebank-staging, simplebank), each only if missing, with random values.
# Not made here: ${RABBITMQ_CLUSTER}-default-user (the RabbitMQ Cluster Operator makes it), simplebank-tls
# (cert-manager), simplebank-smtp (optional: key url, e.g. smtps://user:pass@relay:465; without it e-mail
# goes to the file sink). Needs kubectl and a context on the cluster.
#   deploy/k8s/create-secrets.sh simplebank-staging
set -euo pipefail
ns="\${1:?usage: create-secrets.sh <namespace>}"
random() { od -An -N24 -tx1 /dev/urandom | tr -d ' \\n'; }
exists() { kubectl -n "$ns" get secret "$1" >/dev/null 2>&1; }
apply() { kubectl -n "$ns" apply -f - >/dev/null; echo "created secret $1"; }

# A PostgreSQL role's password (CloudNativePG managed role): basic-auth, username = the role.
basic_auth() {
  exists "$1" && { echo "kept secret $1"; return; }
  printf 'apiVersion: v1\\nkind: Secret\\nmetadata:\\n  name: %s\\n  labels:\\n    cnpg.io/reload: "true"\\ntype: kubernetes.io/basic-auth\\nstringData:\\n  username: %s\\n  password: %s\\n' "$1" "$2" "$(random)" | apply "$1"
}

# generic <name> <key>=<value>...
generic() {
  local name="$1"; shift
  exists "$name" && { echo "kept secret $name"; return; }
  { printf 'apiVersion: v1\\nkind: Secret\\nmetadata:\\n  name: %s\\ntype: Opaque\\nstringData:\\n' "$name"
    for kv in "$@"; do printf '  %s: "%s"\\n' "\${kv%%=*}" "\${kv#*=}"; done; } | apply "$name"
}

${db.join('\n')}
${lines.join('\n')}
`;
}
