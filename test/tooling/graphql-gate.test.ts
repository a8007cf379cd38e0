/**
 * The contract gate of the gateway's GraphQL schema (scripts/graphql-diff.ts): breaking changes
 * are caught on the schema as it is (docs/contracts/gateway.graphql, kept current by npm run docs),
 * additive ones pass.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { printSchema } from 'graphql';
import { buildGraphqlSchema } from '../../services/gateway/src/graphql/schema.ts';
import { compareGraphql } from '../../scripts/graphql-diff.ts';

const root = new URL('../..', import.meta.url).pathname;
const sdl = readFileSync(join(root, 'docs/contracts/gateway.graphql'), 'utf8');
const breaking = (after: string) =>
  compareGraphql(sdl, after)
    .filter((c) => c.breaking)
    .map((c) => c.what);
const edit = (from: string, to: string) => {
  assert.ok(sdl.includes(from), `the schema has ${from}`);
  return sdl.replace(from, to);
};

describe('GraphQL contract gate', () => {
  it('the committed SDL is the schema the gateway serves', () => {
    assert.equal(sdl, `${printSchema(buildGraphqlSchema())}\n`);
    assert.deepEqual(compareGraphql(sdl, sdl), []);
  });

  it('catches a removed field, a changed type, a new required argument, a removed enum value, a gone schema', () => {
    assert.match(
      breaking(edit('  cash: Cash!\n', '  cashBalance: Cash!\n')).join('\n'),
      /FIELD_REMOVED: Account\.cash/,
    );
    assert.match(
      breaking(edit('  available: Decimal!\n', '  available: Float!\n')).join('\n'),
      /FIELD_CHANGED_KIND: Cash\.available changed type from Decimal! to Float!/,
    );
    assert.match(
      breaking(edit('account(id: ID!): Account', 'account(id: ID!, currency: String!): Account')).join('\n'),
      /REQUIRED_ARG_ADDED/,
    );
    assert.match(breaking(edit('  etf\n', '')).join('\n'), /VALUE_REMOVED_FROM_ENUM/);
    assert.equal(compareGraphql(sdl, undefined)[0]?.breaking, true);
  });

  it('lets additive changes pass: a new field, a new optional argument', () => {
    assert.deepEqual(breaking(edit('  cash: Cash!\n', '  cash: Cash!\n  iban: String\n')), []);
    assert.deepEqual(breaking(edit('account(id: ID!): Account', 'account(id: ID!, asOf: String): Account')), []);
  });
});
