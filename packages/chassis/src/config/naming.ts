/**
 * The name of the system the chassis runs, in everything the chassis names for it: metrics
 * (`<namespace>_rpc_server_duration_seconds`), span attributes (`<namespace>.correlation_id`), the
 * events exchange (`<namespace>.events`), advisory-lock keys (`<namespace>:migrations`), the
 * databases of a shared server (`<namespace>_<service>`), the tracer's scope and
 * `service.namespace`. `simplebank` unless `CHASSIS_NAMESPACE` says otherwise; one value for a
 * process, read once (names made before and after a change would not match).
 */
import { defineSettings, env } from './env.ts';

export const namingSettings = defineSettings({
  CHASSIS_NAMESPACE: env.custom(
    'a lowercase name (a letter, then letters, digits or _; at most 32)',
    (raw) => {
      if (!/^[a-z][a-z0-9_]{0,31}$/.test(raw))
        throw new Error('must be a lowercase letter, then lowercase letters, digits or _ (at most 32)');
      return raw;
    },
    { default: 'simplebank' },
  ),
});

let fixed: string | undefined;

/** The process's namespace (fixed by its first use). */
export function namespace(): string {
  fixed ??= namingSettings.value.CHASSIS_NAMESPACE;
  return fixed;
}

/** A metric's full name: `<namespace>_<name>`. */
export const metricName = (name: string): string => `${namespace()}_${name}`;

/** A span attribute's full name: `<namespace>.<name>`. */
export const attributeName = (name: string): string => `${namespace()}.${name}`;

/** An advisory-lock key's text: `<namespace>:<name>`. */
export const lockKey = (name: string): string => `${namespace()}:${name}`;
