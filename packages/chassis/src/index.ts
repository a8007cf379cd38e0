/**
 * @simplebank/chassis: everything a service needs, so that its own code is only its business.
 * Two parts that bring heavy dependencies have entries of their own: `/rabbitmq` (the RabbitMQ
 * transport and a service's own process) and `/embedded` (the embedded PostgreSQL, an optional
 * package); `/testing` is for tests.
 */
export { Type as T, type Static, type TSchema } from '@sinclair/typebox';
export * from './errors.ts';
export * from './contract/contract.ts';
export * from './contract/validation.ts';
export * from './contract/json-schema.ts';
export * from './config/env.ts';
export * from './config/flags.ts';
export * from './config/naming.ts';
export * from './db/database.ts';
export * from './db/migrations.ts';
export * from './messaging/envelope.ts';
export * from './messaging/outbox.ts';
export * from './messaging/relay.ts';
export * from './messaging/inbox.ts';
export * from './messaging/dead-letters.ts';
export * from './messaging/idempotency.ts';
export * from './messaging/rpc.ts';
export * from './messaging/tx.ts';
export * from './runtime/consumer.ts';
export * from './observability/context.ts';
export * from './observability/logger.ts';
export * from './observability/metrics.ts';
export * from './observability/redact.ts';
export * from './observability/trace-context.ts';
export * from './observability/tracing.ts';
export * from './resilience/backoff.ts';
export * from './resilience/policies.ts';
export * from './resilience/shedding.ts';
export * from './resilience/throttle.ts';
export * from './saga/index.ts';
export * from './transport/transport.ts';
export * from './transport/memory.ts';
export * from './http/server.ts';
export * from './runtime/service.ts';
export type { Watcher } from './runtime/watch.ts';
export * from './runtime/system.ts';
export * from './runtime/host.ts';
export * from './runtime/runtime.ts';
export * from './runtime/all-in-one.ts';
export * from './runtime/ports.ts';
export * from './runtime/standalone.ts';
export * from './resilience/adaptive-limit.ts';
export * from './contract/cursor.ts';
