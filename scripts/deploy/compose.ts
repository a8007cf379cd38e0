/**
 * deploy/compose/: the whole distributed system for `docker compose up`, built from the table in
 * services.ts (the same settings as the Kubernetes ConfigMaps; in-cluster names are the Compose
 * service names: exchange, market, …). Secrets come from deploy/compose/.env, written by
 * deploy/compose/init-env.sh (random values, never committed).
 */
import { COMMON_CONFIG, FEATURE_FLAGS_DIR, IMAGE, PORT, SERVICES, databaseOf, envPrefix } from './services.ts';

const dbPasswordVar = (service: string) => `DB_PASSWORD_${envPrefix(service)}`;
const required = (name: string) => `\${${name}:?run deploy/compose/init-env.sh first}`;

/** Variables of deploy/compose/.env: name → how init-env.sh makes a value. */
export function composeSecrets(): Array<{ name: string; value: 'random' | string }> {
  return [
    { name: 'COMPOSE_PROJECT_NAME', value: 'simplebank' },
    { name: 'POSTGRES_PASSWORD', value: 'random' },
    { name: 'RABBITMQ_PASSWORD', value: 'random' },
    ...SERVICES.map((s) => ({ name: dbPasswordVar(s.name), value: 'random' })),
    { name: 'SIMPLEBANK_JWT_SECRET', value: 'random' },
    { name: 'EXCHANGE_API_KEY', value: 'random' },
    { name: 'SIMPLEBANK_ADMIN_EMAIL', value: 'admin@simplebank.local' },
    { name: 'SIMPLEBANK_ADMIN_PASSWORD', value: 'random' },
    { name: 'GRAFANA_ADMIN_PASSWORD', value: 'random' },
  ];
}

const healthcheck = (path: string) => ({
  test: [
    'CMD',
    'node',
    '-e',
    `fetch('http://127.0.0.1:${PORT}${path}').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`,
  ],
  interval: '5s',
  timeout: '3s',
  retries: 12,
  start_period: '90s',
});

function serviceEntry(spec: (typeof SERVICES)[number]): Record<string, unknown> {
  const db = databaseOf(spec.name);
  const environment: Record<string, string> = {
    ...COMMON_CONFIG,
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318',
    ...spec.config,
    AMQP_URL: `amqp://simplebank:\${RABBITMQ_PASSWORD}@rabbitmq:5672`,
    [`${envPrefix(spec.name)}_DATABASE_URL`]: `postgres://${db.role}:\${${dbPasswordVar(spec.name)}}@postgres:5432/${db.database}`,
  };
  for (const s of spec.secrets) environment[s.env] = s.env === 'SMTP_URL' ? 'smtp://mailpit:1025' : required(s.env);
  const others = SERVICES.filter((s) => s.name !== spec.name).map((s) => s.name);
  return {
    image: `\${SIMPLEBANK_IMAGE:-${IMAGE}:local}`,
    build: { context: '../..', dockerfile: 'Dockerfile', target: 'service' },
    command: [`services/${spec.name}/src/main.ts`],
    user: '1000:1000',
    read_only: true,
    tmpfs: ['/tmp'],
    volumes: [`../feature-flags.json:${FEATURE_FLAGS_DIR}/flags.json:ro`],
    cap_drop: ['ALL'],
    security_opt: ['no-new-privileges:true'],
    environment,
    healthcheck: healthcheck('/health/ready'),
    depends_on: {
      rabbitmq: { condition: 'service_healthy' },
      postgres: { condition: 'service_healthy' },
      'otel-collector': { condition: 'service_started' },
      ...(spec.smtp ? { mailpit: { condition: 'service_started' } } : {}),
      // The gateway comes last, once every service answers: its first request then finds them all.
      ...(spec.public ? Object.fromEntries(others.map((o) => [o, { condition: 'service_healthy' }])) : {}),
    },
    ...(spec.public ? { ports: [`127.0.0.1:\${SIMPLEBANK_PORT:-8080}:${PORT}`] } : {}),
    restart: 'unless-stopped',
    stop_grace_period: '30s',
  };
}

export function composeFile(): Record<string, unknown> {
  const services: Record<string, unknown> = {
    rabbitmq: {
      image: 'rabbitmq:3.13-management',
      hostname: 'rabbitmq',
      environment: { RABBITMQ_DEFAULT_USER: 'simplebank', RABBITMQ_DEFAULT_PASS: required('RABBITMQ_PASSWORD') },
      volumes: ['./rabbitmq/enabled_plugins:/etc/rabbitmq/enabled_plugins:ro', 'rabbitmq:/var/lib/rabbitmq'],
      ports: ['127.0.0.1:15672:15672'],
      healthcheck: {
        test: ['CMD', 'rabbitmq-diagnostics', '-q', 'check_port_connectivity'],
        interval: '10s',
        timeout: '10s',
        retries: 12,
        start_period: '30s',
      },
      restart: 'unless-stopped',
    },
    postgres: {
      image: 'postgres:18',
      environment: {
        POSTGRES_PASSWORD: required('POSTGRES_PASSWORD'),
        ...Object.fromEntries(SERVICES.map((s) => [dbPasswordVar(s.name), required(dbPasswordVar(s.name))])),
      },
      volumes: [
        './postgres/init-databases.sh:/docker-entrypoint-initdb.d/10-simplebank.sh:ro',
        'postgres:/var/lib/postgresql',
      ],
      healthcheck: {
        test: ['CMD', 'pg_isready', '-U', 'postgres'],
        interval: '5s',
        timeout: '5s',
        retries: 12,
        start_period: '20s',
      },
      restart: 'unless-stopped',
    },
    mailpit: {
      image: 'axllent/mailpit:v1.21',
      ports: ['127.0.0.1:8025:8025'],
      restart: 'unless-stopped',
    },
    jaeger: {
      image: 'jaegertracing/all-in-one:1.62.0',
      environment: { COLLECTOR_OTLP_ENABLED: 'true' },
      ports: ['127.0.0.1:16686:16686'],
      restart: 'unless-stopped',
    },
    'otel-collector': {
      image: 'otel/opentelemetry-collector:0.111.0',
      command: ['--config=/etc/otelcol/config.yaml'],
      volumes: ['./otel-collector.yaml:/etc/otelcol/config.yaml:ro'],
      depends_on: { jaeger: { condition: 'service_started' } },
      restart: 'unless-stopped',
    },
    prometheus: {
      image: 'prom/prometheus:v2.55.1',
      command: [
        '--config.file=/etc/prometheus/prometheus.yml',
        '--storage.tsdb.path=/prometheus',
        '--web.enable-lifecycle',
      ],
      volumes: [
        './prometheus.yml:/etc/prometheus/prometheus.yml:ro',
        '../prometheus/rules:/etc/prometheus/rules:ro',
        'prometheus:/prometheus',
      ],
      ports: ['127.0.0.1:9090:9090'],
      healthcheck: {
        test: ['CMD', 'wget', '-q', '--spider', 'http://127.0.0.1:9090/-/ready'],
        interval: '10s',
        timeout: '5s',
        retries: 6,
      },
      restart: 'unless-stopped',
    },
    grafana: {
      image: 'grafana/grafana:11.3.0',
      environment: {
        PROMETHEUS_URL: 'http://prometheus:9090',
        GF_SECURITY_ADMIN_PASSWORD: required('GRAFANA_ADMIN_PASSWORD'),
      },
      volumes: [
        '../grafana/provisioning:/etc/grafana/provisioning:ro',
        '../grafana/dashboards:/var/lib/grafana/dashboards/simplebank:ro',
        'grafana:/var/lib/grafana',
      ],
      ports: ['127.0.0.1:3000:3000'],
      depends_on: { prometheus: { condition: 'service_healthy' } },
      restart: 'unless-stopped',
    },
  };
  for (const spec of SERVICES) {
    services[spec.name] = serviceEntry(spec);
  }
  return { services, volumes: { rabbitmq: {}, postgres: {}, prometheus: {}, grafana: {} } };
}

/** Prometheus inside Compose: every service on its own host name, RabbitMQ's exporter, the same rules. */
export function composePrometheus(): Record<string, unknown> {
  return {
    global: { scrape_interval: '15s', evaluation_interval: '15s', external_labels: { system: 'simplebank' } },
    rule_files: ['/etc/prometheus/rules/simplebank.rules.yml'],
    scrape_configs: [
      {
        job_name: 'simplebank-distributed',
        metrics_path: '/metrics',
        honor_labels: true,
        static_configs: SERVICES.map((s) => ({
          targets: [`${s.name}:${PORT}`],
          labels: { mode: 'distributed', service: s.name },
        })),
      },
      {
        job_name: 'rabbitmq',
        metrics_path: '/metrics/detailed',
        params: { family: ['queue_coarse_metrics', 'queue_consumer_count'] },
        static_configs: [{ targets: ['rabbitmq:15692'] }],
      },
    ],
  };
}

/** The PostgreSQL container's init script: a role and a database per service, each password from .env. */
export function postgresInitScript(): string {
  const lines = SERVICES.map((s) => `create ${databaseOf(s.name).role} "$${dbPasswordVar(s.name)}"`);
  return `#!/bin/bash
# Generated by scripts/generate-deploy.ts: do not edit. Run once by the postgres image on an empty
# data folder (/docker-entrypoint-initdb.d): for every service a login role and a database it owns,
# named as in the Kubernetes manifests (CloudNativePG managed roles and Databases); nobody else may
# connect to it. Passwords come from deploy/compose/.env (init-env.sh).
set -euo pipefail

create() {
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -v role="$1" -v password="$2" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"role" OWNER :"role";
REVOKE ALL ON DATABASE :"role" FROM PUBLIC;
SQL
}

${lines.join('\n')}
`;
}

/** deploy/compose/init-env.sh: writes .env with a random value for every secret still missing (idempotent). */
export function initEnvScript(): string {
  const lines = composeSecrets().map((s) =>
    s.value === 'random' ? `ensure ${s.name} "$(random)"` : `ensure ${s.name} '${s.value}'`,
  );
  return `#!/usr/bin/env bash
# Generated by scripts/generate-deploy.ts: do not edit. Writes deploy/compose/.env (git-ignored) with
# every secret the Compose file needs: random values (hex, so they are safe inside URLs), kept
# when already there. Run it once before \`docker compose up\`; it never prints a value.
set -euo pipefail
cd "$(dirname "$0")"
touch .env
chmod 600 .env
random() { od -An -N24 -tx1 /dev/urandom | tr -d ' \\n'; }
ensure() { grep -q "^$1=" .env || printf '%s=%s\\n' "$1" "$2" >> .env; }

${lines.join('\n')}
echo "deploy/compose/.env has $(grep -c = .env) settings"
`;
}
