/** Circuit breakers and per-dependency call policies (one export line in the chassis index). */
export * from './breaker.ts';
export * from './call-policy.ts';
