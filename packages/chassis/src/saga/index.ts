export * from './types.ts';
export { SagaRunner, type SagaRunnerOptions } from './runner.ts';
