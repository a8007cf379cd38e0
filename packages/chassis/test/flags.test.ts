/**
 * Feature flags: the rollout maths (stable, monotonic, uniform, independent per flag), the rules'
 * order (kill switch, listed customers, percentage), a file re-read without a restart (a bad one
 * keeps the last good flags), and a bad file at start named in the configuration error.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  ConfigError,
  FeatureFlags,
  createLogger,
  featureFlagSettings,
  loadAll,
  rolloutBucket,
  ruleAllows,
} from '../src/index.ts';

const customers = Array.from({ length: 10_000 }, (_, i) => `customer-${i}`);
const share = (flag: string, rollout: number) =>
  customers.filter((c) => ruleAllows(flag, { enabled: true, rollout }, c)).length / customers.length;

describe('feature flag rollout', () => {
  it('gives a customer the same bucket every time, in every process (a fixed hash)', () => {
    assert.equal(rolloutBucket('graphql', 'customer-1'), rolloutBucket('graphql', 'customer-1'));
    // SHA-256("graphql\0customer-1"): pinned, so that a change of the hash (which would move every
    // customer between rollout groups) is a deliberate one.
    assert.equal(rolloutBucket('graphql', 'customer-1'), 1_566);
  });

  it('reaches the percentage asked for, within a percent, over 10,000 customers', () => {
    for (const rollout of [1, 10, 25, 50, 90]) {
      const got = share('graphql', rollout) * 100;
      assert.ok(Math.abs(got - rollout) < 1, `${rollout}% asked, ${got.toFixed(2)}% got`);
    }
    assert.equal(share('graphql', 0), 0);
    assert.equal(share('graphql', 100), 1);
  });

  it('only adds customers when the percentage rises (nobody loses the feature on the way to 100 %)', () => {
    const at = (rollout: number) =>
      new Set(customers.filter((c) => ruleAllows('graphql', { enabled: true, rollout }, c)));
    const steps = [0.5, 5, 12.25, 30, 60, 99.99];
    for (let i = 1; i < steps.length; i++) {
      const before = at(steps[i - 1]!);
      const after = at(steps[i]!);
      for (const c of before) assert.ok(after.has(c), `${c} had it at ${steps[i - 1]}% and not at ${steps[i]}%`);
    }
  });

  it('picks independent customers for two flags at 50 % (about a quarter have both)', () => {
    const both =
      customers.filter(
        (c) =>
          ruleAllows('graphql', { enabled: true, rollout: 50 }, c) &&
          ruleAllows('statements', { enabled: true, rollout: 50 }, c),
      ).length / customers.length;
    assert.ok(Math.abs(both - 0.25) < 0.02, `${both}`);
  });

  it('applies the rules in order: switched off for everyone, then listed customers, then the percentage', () => {
    const listed = 'customer-listed';
    assert.equal(ruleAllows('f', { enabled: false, customers: [listed] }, listed), false);
    assert.equal(ruleAllows('f', { enabled: true, rollout: 0, customers: [listed] }, listed), true);
    assert.equal(ruleAllows('f', { enabled: true, rollout: 0 }, 'someone'), false);
    assert.equal(ruleAllows('f', { enabled: true }, 'someone'), true);
    // Work done for no customer has a partial rollout only at 100 %.
    assert.equal(ruleAllows('f', { enabled: true, rollout: 99 }, undefined), false);
    assert.equal(ruleAllows('f', { enabled: true }, undefined), true);
  });

  it('gives a flag the configuration does not name the default its code passes', () => {
    const flags = FeatureFlags.of({ other: { enabled: false } });
    assert.equal(flags.isEnabled('graphql', { customerId: 'c' }), false);
    assert.equal(flags.isEnabled('graphql', { customerId: 'c' }, { enabled: true }), true);
    assert.equal(flags.isEnabled('other', { customerId: 'c' }, { enabled: true }), false);
  });
});

describe('feature flags from configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flags-'));
  const log = createLogger({ service: 'flags-test', level: 'silent' });

  it('re-reads the file without a restart, and keeps the last good flags when it turns bad', () => {
    const file = join(dir, `${randomUUID()}.json`);
    writeFileSync(file, JSON.stringify({ graphql: { enabled: true } }));
    const settings = featureFlagSettings.load({ SIMPLEBANK_FEATURE_FLAGS_FILE: file });
    const flags = FeatureFlags.fromSettings(settings, log);
    try {
      assert.equal(flags.isEnabled('graphql', { customerId: 'c' }), true);
      writeFileSync(file, JSON.stringify({ graphql: { enabled: false } }));
      assert.equal(flags.reload(), true);
      assert.equal(flags.isEnabled('graphql', { customerId: 'c' }), false);
      writeFileSync(file, '{"graphql": {"enabled": "yes"');
      assert.equal(flags.reload(), false);
      assert.equal(flags.isEnabled('graphql', { customerId: 'c' }), false, 'the last good flags stay');
    } finally {
      flags.stop();
    }
  });

  it('stops the start with one message naming every problem of a bad file or bad inline JSON', () => {
    const file = join(dir, `${randomUUID()}.json`);
    writeFileSync(
      file,
      JSON.stringify({ graphql: { enabled: 'yes', rollout: 150 }, Bad_Name: { enabled: true, colour: 'red' } }),
    );
    assert.throws(
      () => loadAll([featureFlagSettings], { SIMPLEBANK_FEATURE_FLAGS_FILE: file }),
      (e: unknown) =>
        e instanceof ConfigError &&
        /SIMPLEBANK_FEATURE_FLAGS_FILE/.test(e.message) &&
        /"enabled" must be true or false/.test(e.message) &&
        /"rollout" must be a percentage/.test(e.message) &&
        /Bad_Name/.test(e.message) &&
        /unknown field "colour"/.test(e.message),
    );
    assert.throws(
      () => loadAll([featureFlagSettings], { SIMPLEBANK_FEATURE_FLAGS_FILE: join(dir, 'missing.json') }),
      /cannot be read \(ENOENT\)/,
    );
    assert.throws(
      () => loadAll([featureFlagSettings], { SIMPLEBANK_FEATURE_FLAGS: '{not json' }),
      /SIMPLEBANK_FEATURE_FLAGS is not JSON/,
    );
  });
});
