/**
 * The GraphQL endpoint behind the feature flag `graphql`, read from a flags file as a mounted
 * ConfigMap would give it: a listed customer has it at a 0 % rollout and another does not (404
 * problem details); switched off in the file, and re-read without a restart, nobody has it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Transport } from '@simplebank/chassis';
import { stubService } from '@simplebank/chassis/testing';
import { customersContract } from '@simplebank/customers/contract';
import { startGateway, token, type Gateway } from './helpers.ts';
import { ALICE, BOB } from './stubs.ts';

describe('the GraphQL endpoint behind its feature flag', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'gateway-flags-')), 'flags.json');
  let gw: Gateway;
  const typename = async (customerId: string) =>
    gw.request('POST', '/graphql', { token: await token(customerId), body: { query: '{ __typename }' } });

  before(async () => {
    writeFileSync(file, JSON.stringify({ graphql: { enabled: true, rollout: 0, customers: [ALICE] } }));
    gw = await startGateway(
      [(t: Transport) => stubService(t, customersContract, { sessionActive: () => ({ active: true }) })],
      { ...process.env, SIMPLEBANK_FEATURE_FLAGS_FILE: file },
    );
  });
  after(async () => {
    await gw.stop();
  });

  it('is there for a customer the flag lists, and not for one outside its 0 % rollout', async () => {
    const alice = await typename(ALICE);
    assert.equal(alice.status, 200);
    assert.deepEqual(alice.body, { data: { __typename: 'Query' } });
    const bob = await typename(BOB);
    assert.equal(bob.status, 404);
    assert.match(bob.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.equal((bob.body as { code: string }).code, 'not_found');
    assert.ok(bob.headers.get('x-request-id'));
  });

  it('is gone for everyone once the file switches it off, without a restart', async () => {
    writeFileSync(file, JSON.stringify({ graphql: { enabled: false, customers: [ALICE] } }));
    assert.equal(gw.system.runtime.flags.reload(), true);
    assert.equal((await typename(ALICE)).status, 404);
  });
});
