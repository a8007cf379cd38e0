/**
 * What every deployment of SimpleBank needs to know about each service, in one table: the
 * Kubernetes manifests (deploy/k8s/base) and the Compose file (deploy/compose/compose.yaml) are
 * generated from it by scripts/generate-deploy.ts (`npm run deploy:generate`; `--check` in lint).
 *
 * The list of services is the registry's (@simplebank/registry: services/<name>/package.json); a
 * service without a row here gets DEFAULT_ROW (small, no secrets, no HTTP calls), so a new service
 * deploys with nothing edited here; give it a row when it needs more. Every setting name used below is one a service reads
 * (services/<name>/src/settings.ts, packages/chassis/src/runtime/standalone.ts, the chassis's RPC
 * shedding settings, the OTEL_* variables); test/deploy checks that.
 */
import { serviceNames } from '@simplebank/registry';

export type ServiceName = string;

/** One environment variable taken from a Secret (never a value in git). */
export interface SecretEnv {
  env: string;
  /** The Secret's name (in Compose: the variable of deploy/compose/.env). */
  secret: string;
  key: string;
  optional?: boolean;
}

export interface ServiceSpec {
  name: ServiceName;
  /** Settings of this service only (its ConfigMap `simplebank-<name>`); the shared ones are in COMMON_CONFIG. */
  config: Record<string, string>;
  secrets: SecretEnv[];
  /** Other SimpleBank services this one calls over HTTP (not through the broker): egress allowed to them. */
  httpCalls: ServiceName[];
  /** Reached from outside the cluster (the ingress controller). */
  public?: boolean;
  /** Sends e-mail (SMTP egress). */
  smtp?: boolean;
  resources: { cpu: string; memory: string; cpuLimit: string; memoryLimit: string };
  /** HorizontalPodAutoscaler bounds in the base (overlays change them). */
  replicas: { min: number; max: number };
}

/** The port every service listens on in a container (health, metrics, its HTTP routes). */
export const PORT = 8080;
/** The image every service runs from; overlays and Compose set the real name and tag. */
export const IMAGE = 'simplebank';
/** The canary track's image (production overlay: `images: - name: simplebank-canary`). */
export const CANARY_IMAGE = 'simplebank-canary';
/** The numeric user and group of the image (Dockerfile: USER 1000:1000, the node image's `node`). */
export const UID = 1000;

export const RABBITMQ_CLUSTER = 'simplebank-rabbitmq';
export const POSTGRES_CLUSTER = 'simplebank-pg';
/** Namespaces outside SimpleBank's that the NetworkPolicies let in or out (docs/deploy.md). */
export const NAMESPACES = {
  monitoring: 'monitoring', // Prometheus (scrapes every pod's /metrics)
  ingress: 'ingress-nginx', // the ingress controller (reaches the gateway only)
  observability: 'observability', // the OpenTelemetry Collector (OTLP/HTTP on 4318)
  cnpg: 'cnpg-system', // the CloudNativePG operator
  rabbitmq: 'rabbitmq-system', // the RabbitMQ Cluster Operator
} as const;

/**
 * The feature flags (docs/decisions/0028): deploy/feature-flags.json, by hand, is the one source;
 * Kubernetes mounts it from the ConfigMap `simplebank-feature-flags` (generated from it), Compose
 * mounts the file itself, both at FEATURE_FLAGS_FILE, which every service re-reads while it runs.
 */
export const FEATURE_FLAGS_SOURCE = 'deploy/feature-flags.json';
export const FEATURE_FLAGS_DIR = '/etc/simplebank/flags';
export const FEATURE_FLAGS_CONFIGMAP = 'simplebank-feature-flags';

/** Settings every service gets (ConfigMap `simplebank-common`; Compose: each service's environment). */
export const COMMON_CONFIG: Record<string, string> = {
  SIMPLEBANK_FEATURE_FLAGS_FILE: `${FEATURE_FLAGS_DIR}/flags.json`,
  NODE_ENV: 'production',
  // In a container the server must listen on every interface of the pod (the default, 127.0.0.1,
  // would refuse the kubelet's probes and every peer). Never set on the developer's machine.
  HOST: '0.0.0.0',
  PORT: String(PORT),
  LOG_LEVEL: 'info',
  // Writable only under /tmp (read-only root filesystem): the file sinks and anything else written.
  SIMPLEBANK_DATA_DIR: '/tmp/simplebank',
  OTEL_EXPORTER_OTLP_ENDPOINT: `http://otel-collector.${NAMESPACES.observability}.svc:4318`,
  OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
  OTEL_TRACES_SAMPLER_ARG: '1',
};

/** The chassis's RPC admission settings, per service (packages/chassis/src/resilience/shedding.ts defaults). */
const SHEDDING = { RPC_MAX_IN_FLIGHT: '256', RPC_MAX_QUEUE: '128', RPC_MAX_QUEUE_WAIT_MS: '100' };

const EXCHANGE_URL = `http://exchange:${PORT}/exchange`;
const EXCHANGE_KEY: SecretEnv = { env: 'EXCHANGE_API_KEY', secret: 'simplebank-exchange', key: 'api-key' };

const small = { cpu: '50m', memory: '192Mi', cpuLimit: '1', memoryLimit: '384Mi' };
const busy = { cpu: '200m', memory: '256Mi', cpuLimit: '2', memoryLimit: '512Mi' };

/** A service with no row of its own: the smallest footprint, reached only through the broker. */
const DEFAULT_ROW: Omit<ServiceSpec, 'name'> = {
  config: { ...SHEDDING },
  secrets: [],
  httpCalls: [],
  resources: small,
  replicas: { min: 2, max: 4 },
};

const ROWS: Record<ServiceName, Omit<ServiceSpec, 'name'>> = {
  customers: {
    config: { ...SHEDDING },
    secrets: [
      { env: 'SIMPLEBANK_ADMIN_EMAIL', secret: 'simplebank-admin', key: 'email' },
      { env: 'SIMPLEBANK_ADMIN_PASSWORD', secret: 'simplebank-admin', key: 'password' },
    ],
    httpCalls: [],
    resources: busy, // scrypt on every login and sign-up
    replicas: { min: 2, max: 6 },
  },
  accounts: { config: { ...SHEDDING }, secrets: [], httpCalls: [], resources: small, replicas: { min: 2, max: 4 } },
  transactions: { config: { ...SHEDDING }, secrets: [], httpCalls: [], resources: busy, replicas: { min: 2, max: 8 } },
  payments: {
    config: { ...SHEDDING, PAYMENT_PROVIDER_DELAY_MS: '100' },
    secrets: [],
    httpCalls: [],
    resources: small,
    replicas: { min: 2, max: 4 },
  },
  'market-data': {
    config: { ...SHEDDING, PRICE_TICK_MS: '1000', MARKET_DATA_SEED: '42' },
    secrets: [],
    httpCalls: [],
    resources: small,
    replicas: { min: 2, max: 4 },
  },
  exchange: {
    config: { ...SHEDDING, EXCHANGE_FILL_DELAY_MS: '200' },
    secrets: [EXCHANGE_KEY],
    httpCalls: ['market'], // fill callbacks
    resources: small,
    replicas: { min: 2, max: 4 },
  },
  market: {
    config: {
      ...SHEDDING,
      EXCHANGE_URL,
      // The exchange calls back here (the default, this process's own listening address, is 0.0.0.0 in a pod).
      EXCHANGE_CALLBACK_URL: `http://market:${PORT}/market/exchange-callbacks`,
    },
    secrets: [EXCHANGE_KEY],
    httpCalls: ['exchange'],
    resources: small,
    replicas: { min: 2, max: 4 },
  },
  fees: { config: { ...SHEDDING }, secrets: [], httpCalls: [], resources: small, replicas: { min: 2, max: 4 } },
  orders: {
    config: { ...SHEDDING, ORDER_TTL_SECONDS: '3600', PLACEMENT_WINDOW_SECONDS: '30' },
    secrets: [],
    httpCalls: [],
    resources: busy,
    replicas: { min: 2, max: 8 },
  },
  holdings: { config: { ...SHEDDING }, secrets: [], httpCalls: [], resources: small, replicas: { min: 2, max: 4 } },
  notifications: {
    config: {
      ...SHEDDING,
      SMTP_FROM: 'SimpleBank <no-reply@simplebank.local>',
      NOTIFICATIONS_SINK_DIR: '/tmp/simplebank/notifications',
    },
    secrets: [{ env: 'SMTP_URL', secret: 'simplebank-smtp', key: 'url', optional: true }],
    httpCalls: [],
    smtp: true,
    resources: small,
    replicas: { min: 2, max: 4 },
  },
  strategies: { config: { ...SHEDDING }, secrets: [], httpCalls: [], resources: small, replicas: { min: 2, max: 4 } },
  'strategy-orders': {
    config: { ...SHEDDING },
    secrets: [],
    httpCalls: [],
    resources: small,
    replicas: { min: 2, max: 4 },
  },
  reporting: { config: { ...SHEDDING }, secrets: [], httpCalls: [], resources: small, replicas: { min: 2, max: 4 } },
  gateway: {
    config: { ...SHEDDING, EXCHANGE_URL },
    secrets: [{ env: 'SIMPLEBANK_JWT_SECRET', secret: 'simplebank-gateway', key: 'jwt-secret' }, EXCHANGE_KEY],
    httpCalls: ['exchange'], // the admin route to the simulation's controls
    public: true,
    resources: busy,
    replicas: { min: 2, max: 8 },
  },
};

const unknown = Object.keys(ROWS).filter((name) => !serviceNames().includes(name));
if (unknown.length > 0) throw new Error(`scripts/deploy/services.ts has rows for no service: ${unknown.join(', ')}`);

export const SERVICES: ServiceSpec[] = serviceNames().map((name) => ({ name, ...(ROWS[name] ?? DEFAULT_ROW) }));

/** `orders` → `ORDERS`, `market-data` → `MARKET_DATA` (the chassis's `<SERVICE>_DATABASE_URL`). */
export function envPrefix(service: string): string {
  return service.toUpperCase().replace(/-/g, '_');
}

/** The service's database and its owner role (the chassis's default database name, `simplebank_<service>`). */
export function databaseOf(service: string): { database: string; role: string; secret: string } {
  const database = `simplebank_${service.replace(/-/g, '_')}`;
  return { database, role: database, secret: `simplebank-db-${service}` };
}

/** Services whose HTTP port another service calls (ingress allowed from those callers). */
export function httpCallers(service: ServiceName): ServiceName[] {
  return SERVICES.filter((s) => s.httpCalls.includes(service)).map((s) => s.name);
}
