/** Circuit breakers, bulkheads and per-dependency call policies (one export line in the chassis index). */
export * from './breaker.ts';
export * from './bulkhead.ts';
export * from './call-policy.ts';
