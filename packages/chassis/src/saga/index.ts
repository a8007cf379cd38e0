export * from './types.ts';
export { SagaRunner, checkSignal, type SagaRunnerOptions } from './runner.ts';
