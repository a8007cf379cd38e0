/**
 * The contract gate for the gateway's GraphQL schema (docs/contracts/gateway.graphql, written by
 * `npm run docs`): graphql-js's own comparison of two schemas. A removed type, field, argument or
 * enum value, a changed field type, a new required argument, … are breaking; a new optional
 * argument's default changed, a new enum value, … are "dangerous" (printed, not refused); a new
 * field or type is additive.
 */
import { buildSchema, findBreakingChanges, findDangerousChanges } from 'graphql';
import type { Change } from './contract-diff.ts';

export const GRAPHQL_SCHEMA_FILE = 'gateway.graphql';

export function compareGraphql(before: string, after: string | undefined): Change[] {
  if (after === undefined) return [{ breaking: true, where: 'graphql', what: 'the GraphQL schema is gone' }];
  const old = buildSchema(before);
  const now = buildSchema(after);
  return [
    ...findBreakingChanges(old, now).map((c) => ({
      breaking: true,
      where: 'graphql',
      what: `${c.type}: ${c.description}`,
    })),
    ...findDangerousChanges(old, now).map((c) => ({
      breaking: false,
      where: 'graphql',
      what: `${c.type} (dangerous): ${c.description}`,
    })),
  ];
}
