/**
 * Typed configuration from the environment (12-factor). A spec names each variable, its type and
 * default; `loadConfig` checks them all and throws one ConfigError naming every problem, so a
 * misconfigured process stops at start with a message an operator can act on. Secrets are never
 * echoed back in that message.
 */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

interface Setting<T> {
  parse(raw: string): T;
  describe: string;
  default?: T;
  optional?: boolean;
  secret?: boolean;
}

type Options<T> = { default?: T; optional?: boolean; secret?: boolean };

/** Optional settings without a default are `T | undefined`; the others are `T`. */
type Built<T, O> = Setting<O extends { optional: true } ? T | undefined : T>;

function setting<T, O extends Options<T>>(describe: string, parse: (raw: string) => T, options: O): Built<T, O> {
  return { describe, parse, ...options } as Built<T, O>;
}

export const env = {
  string: <O extends Options<string> & { minLength?: number }>(o: O = {} as O) =>
    setting(
      'a string',
      (raw) => {
        if (o.minLength !== undefined && raw.length < o.minLength)
          throw new Error(`must be at least ${o.minLength} characters`);
        return raw;
      },
      o,
    ),
  integer: <O extends Options<number> & { min?: number; max?: number }>(o: O = {} as O) =>
    setting(
      'an integer',
      (raw) => {
        if (!/^-?\d+$/.test(raw.trim())) throw new Error('must be an integer');
        const n = Number(raw);
        if (o.min !== undefined && n < o.min) throw new Error(`must be at least ${o.min}`);
        if (o.max !== undefined && n > o.max) throw new Error(`must be at most ${o.max}`);
        return n;
      },
      o,
    ),
  port: <O extends Options<number>>(o: O = {} as O) =>
    setting(
      'a TCP port',
      (raw) => {
        if (!/^\d+$/.test(raw.trim()) || Number(raw) > 65535) throw new Error('must be a port number (0-65535)');
        return Number(raw);
      },
      o,
    ),
  boolean: <O extends Options<boolean>>(o: O = {} as O) =>
    setting(
      'a boolean',
      (raw) => {
        const v = raw.trim().toLowerCase();
        if (['1', 'true', 'yes', 'on'].includes(v)) return true;
        if (['0', 'false', 'no', 'off'].includes(v)) return false;
        throw new Error('must be true or false');
      },
      o,
    ),
  url: <O extends Options<string> & { protocols?: string[] }>(o: O = {} as O) =>
    setting(
      'a URL',
      (raw) => {
        let u: URL;
        try {
          u = new URL(raw);
        } catch {
          throw new Error('must be a URL');
        }
        if (o.protocols && !o.protocols.includes(u.protocol.replace(/:$/, '')))
          throw new Error(`must be a ${o.protocols.join(' or ')} URL`);
        return raw;
      },
      o,
    ),
  /** A setting of its own kind: `parse` returns the value or throws an Error saying what is wrong. */
  custom: <V, O extends Options<V> = {}>(describe: string, parse: (raw: string) => V, o: O = {} as O) =>
    setting(describe, parse, o),
  oneOf: <const V extends string, O extends Options<V> = {}>(values: readonly V[], o: O = {} as O) =>
    setting(
      `one of ${values.join(', ')}`,
      (raw) => {
        if (!(values as readonly string[]).includes(raw)) throw new Error(`must be one of ${values.join(', ')}`);
        return raw as V;
      },
      o,
    ),
};

type ValueOf<S> = S extends Setting<infer T> ? T : never;
export type ConfigOf<Spec extends Record<string, Setting<unknown>>> = { [K in keyof Spec]: ValueOf<Spec[K]> };

export function loadConfig<Spec extends Record<string, Setting<any>>>(
  spec: Spec,
  source: NodeJS.ProcessEnv = process.env,
): ConfigOf<Spec> {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(spec)) {
    const raw = source[name];
    if (raw === undefined || raw === '') {
      if (s.default !== undefined) out[name] = s.default;
      else if (!s.optional) problems.push(`${name} is required (${s.describe})`);
      continue;
    }
    try {
      out[name] = s.parse(raw);
    } catch (err) {
      const shown = s.secret ? '' : ` (got "${raw.length > 60 ? `${raw.slice(0, 60)}…` : raw}")`;
      problems.push(`${name} ${(err as Error).message}${shown}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out as ConfigOf<Spec>;
}

export interface Settings<Spec extends Record<string, Setting<any>>> {
  readonly spec: Spec;
  /** The validated values (loaded from the environment on first use). Throws ConfigError. */
  readonly value: ConfigOf<Spec>;
  /** Validates now; the runtime calls it for every service before starting any. */
  load(source?: NodeJS.ProcessEnv): ConfigOf<Spec>;
}

/**
 * A service's own settings, declared once beside the service and listed in its definition, so the
 * runtime checks every service's settings at start and reports all problems in one message.
 */
export function defineSettings<Spec extends Record<string, Setting<any>>>(spec: Spec): Settings<Spec> {
  let loaded: ConfigOf<Spec> | undefined;
  return {
    spec,
    load(source = process.env) {
      loaded = loadConfig(spec, source);
      return loaded;
    },
    get value() {
      return (loaded ??= loadConfig(spec, process.env));
    },
  };
}

/** Loads several groups of settings, reporting every problem of every group in one ConfigError. */
export function loadAll(
  groups: ReadonlyArray<{ load(source?: NodeJS.ProcessEnv): unknown }>,
  source: NodeJS.ProcessEnv = process.env,
): void {
  const problems: string[] = [];
  for (const g of groups) {
    try {
      g.load(source);
    } catch (err) {
      if (err instanceof ConfigError) problems.push(...err.problems);
      else throw err;
    }
  }
  if (problems.length > 0) throw new ConfigError([...new Set(problems)]);
}
