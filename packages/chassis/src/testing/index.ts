export * from './database.ts';
export * from './faulty-transport.ts';
export * from './harness.ts';
export * from './handler-context.ts';
export * from './consumer-contracts.ts';
export * from './transport-conformance.ts';
export * from './otlp-receiver.ts';
