/** Circuit breakers, bulkheads, per-dependency call policies and their table (one export line in the chassis index). */
export * from './breaker.ts';
export * from './bulkhead.ts';
export * from './call-policy.ts';
export * from './targets.ts';
