/**
 * Feature flags (platform.md; seed 002 §10.4.2): per flag on or off, a percentage rollout, and a
 * list of customers who have it whatever the percentage — read through the chassis (`ctx.flags`)
 * from configuration, and reloaded without a restart.
 *
 * Where they come from: `SIMPLEBANK_FEATURE_FLAGS_FILE`, a JSON file (in Kubernetes, a ConfigMap
 * mounted as a volume: the kubelet swaps it in place, so the file is re-read every
 * `SIMPLEBANK_FEATURE_FLAGS_RELOAD_MS`), or `SIMPLEBANK_FEATURE_FLAGS`, the same JSON inline (fixed
 * for the life of the process). Neither: every flag has the default its code gives.
 *
 *   { "graphql": { "enabled": true, "rollout": 25, "customers": ["c0ffee00-…"] } }
 *
 * How a flag decides, for a customer:
 *   1. `enabled: false` → off for everyone, listed customers too (the kill switch);
 *   2. the customer is listed → on;
 *   3. `rollout` (0–100, two decimals) given → on iff the customer's bucket (0–9999, from a hash of
 *      the flag's name and the customer id) is below rollout × 100: the same customer gets the same
 *      answer in every process, raising the percentage only adds customers, and two flags at 50 %
 *      pick independent halves; no customer (anonymous work) → off unless rollout is 100;
 *   4. otherwise on.
 *
 * A bad flags file at start stops the process with a message naming every problem (it is a
 * setting); a bad file later is logged and the last good flags stay in force.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from '../observability/logger.ts';
import { defineSettings, env } from './env.ts';

export interface FlagRule {
  enabled: boolean;
  /** Percentage of customers (0–100, at most two decimals) who have it. Absent: all. */
  rollout?: number;
  /** Customers who have it whatever the rollout (unless the flag is disabled). */
  customers?: string[];
}

export type FlagSet = Record<string, FlagRule>;

const FLAG_NAME = /^[a-z][a-z0-9-]{0,62}$/;

/** Every problem of a flags document, each naming its flag and field. */
export function flagProblems(doc: unknown): string[] {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    return ['must be a JSON object of flags ({"name": {"enabled": true}})'];
  const problems: string[] = [];
  for (const [name, rule] of Object.entries(doc)) {
    if (!FLAG_NAME.test(name)) problems.push(`flag "${name}": the name must be lower-case letters, digits and dashes`);
    if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) {
      problems.push(`flag "${name}": must be an object with "enabled"`);
      continue;
    }
    const r = rule as Record<string, unknown>;
    for (const key of Object.keys(r))
      if (!['enabled', 'rollout', 'customers'].includes(key)) problems.push(`flag "${name}": unknown field "${key}"`);
    if (typeof r.enabled !== 'boolean') problems.push(`flag "${name}": "enabled" must be true or false`);
    if (
      r.rollout !== undefined &&
      (typeof r.rollout !== 'number' ||
        !(r.rollout >= 0 && r.rollout <= 100) ||
        Math.round(r.rollout * 100) !== r.rollout * 100)
    ) {
      problems.push(`flag "${name}": "rollout" must be a percentage from 0 to 100 with at most two decimals`);
    }
    if (
      r.customers !== undefined &&
      (!Array.isArray(r.customers) ||
        r.customers.some((c) => typeof c !== 'string' || c.length === 0 || c.length > 100))
    ) {
      problems.push(`flag "${name}": "customers" must be a list of customer ids`);
    }
  }
  return problems;
}

/** Parses a flags document; throws an Error whose message lists every problem. */
export function parseFlags(text: string): FlagSet {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`is not JSON (${(err as Error).message})`);
  }
  const problems = flagProblems(doc);
  if (problems.length > 0) throw new Error(problems.join('; '));
  return doc as FlagSet;
}

function readFlagsFile(path: string): FlagSet {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parseFlags(text);
}

/** The customer's bucket for a flag, 0–9999: the first 32 bits of SHA-256(flag NUL customer), mod 10,000. */
export function rolloutBucket(flag: string, customerId: string): number {
  return createHash('sha256').update(`${flag}\0${customerId}`).digest().readUInt32BE(0) % 10_000;
}

/** Whether `rule` is on for the customer (none: work done for no customer). */
export function ruleAllows(flag: string, rule: FlagRule, customerId: string | undefined): boolean {
  if (!rule.enabled) return false;
  if (customerId !== undefined && rule.customers?.includes(customerId)) return true;
  if (rule.rollout === undefined || rule.rollout >= 100) return true;
  if (customerId === undefined) return false;
  return rolloutBucket(flag, customerId) < Math.round(rule.rollout * 100);
}

/** Checked at start with every other setting: a bad file or bad JSON is named in the one message. */
export const featureFlagSettings = defineSettings({
  /** A JSON file of flags, re-read while the process runs (a mounted ConfigMap). */
  SIMPLEBANK_FEATURE_FLAGS_FILE: env.custom(
    'a JSON file of feature flags',
    (path) => ({ path, flags: readFlagsFile(path) }),
    { optional: true },
  ),
  /** The flags as inline JSON, when there is no file. */
  SIMPLEBANK_FEATURE_FLAGS: env.custom('feature flags as JSON', parseFlags, { optional: true }),
  SIMPLEBANK_FEATURE_FLAGS_RELOAD_MS: env.integer({ default: 5000, min: 100, max: 3_600_000 }),
});

/** The flags a process reads; one per process, shared by the services it hosts. */
export class FeatureFlags {
  private flags: FlagSet;
  private timer: NodeJS.Timeout | undefined;
  private lastError = '';

  private constructor(
    flags: FlagSet,
    private readonly source?: { path: string; reloadMs: number; log: Logger },
  ) {
    this.flags = flags;
  }

  /** Flags fixed in code (tests, or a process with no flag configuration). */
  static of(flags: FlagSet = {}): FeatureFlags {
    const problems = flagProblems(flags);
    if (problems.length > 0) throw new Error(`Invalid feature flags: ${problems.join('; ')}`);
    return new FeatureFlags(flags);
  }

  /** From the validated settings; starts re-reading the file, if there is one. */
  static fromSettings(settings: typeof featureFlagSettings.value, log: Logger): FeatureFlags {
    const file = settings.SIMPLEBANK_FEATURE_FLAGS_FILE;
    if (file) {
      const flags = new FeatureFlags(file.flags, {
        path: file.path,
        reloadMs: settings.SIMPLEBANK_FEATURE_FLAGS_RELOAD_MS,
        log,
      });
      flags.watch();
      return flags;
    }
    return new FeatureFlags(settings.SIMPLEBANK_FEATURE_FLAGS ?? {});
  }

  /** Whether `flag` is on for this customer; `fallback` is the rule when configuration does not name the flag. */
  isEnabled(
    flag: string,
    who: { customerId?: string | undefined } = {},
    fallback: FlagRule = { enabled: false },
  ): boolean {
    return ruleAllows(flag, this.flags[flag] ?? fallback, who.customerId);
  }

  /** The flags in force (for operators: what a process believes). */
  snapshot(): FlagSet {
    return structuredClone(this.flags);
  }

  /** Reads the file again now; keeps the last good flags when it is bad. Returns whether they changed. */
  reload(): boolean {
    if (!this.source) return false;
    try {
      const next = readFlagsFile(this.source.path);
      this.lastError = '';
      if (JSON.stringify(next) === JSON.stringify(this.flags)) return false;
      this.flags = next;
      this.source.log.info({ flags: Object.keys(next) }, 'feature flags reloaded');
      return true;
    } catch (err) {
      const message = (err as Error).message;
      // Said once per distinct problem, not every few seconds.
      if (message !== this.lastError)
        this.source.log.error(
          { file: this.source.path, problem: message },
          'feature flags file is invalid; keeping the last good flags',
        );
      this.lastError = message;
      return false;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private watch(): void {
    this.timer = setInterval(() => this.reload(), this.source!.reloadMs);
    this.timer.unref();
  }
}
