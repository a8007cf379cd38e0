/**
 * The first admin comes from SIMPLEBANK_ADMIN_EMAIL / SIMPLEBANK_ADMIN_PASSWORD. In development they
 * default to admin@simplebank.local / simplebank-admin (a warning says so at start); with
 * NODE_ENV=production a missing one is a ConfigError, so the process refuses to start.
 */
import { ConfigError, env, loadConfig, type ConfigOf, type Settings } from '@simplebank/chassis';

export const DEV_ADMIN_EMAIL = 'admin@simplebank.local';
export const DEV_ADMIN_PASSWORD = 'simplebank-admin';

const spec = {
  SIMPLEBANK_ADMIN_EMAIL: env.string({ optional: true }),
  SIMPLEBANK_ADMIN_PASSWORD: env.string({ optional: true, secret: true, minLength: 10 }),
  NODE_ENV: env.oneOf(['development', 'test', 'production'], { default: 'development' }),
};
type Values = ConfigOf<typeof spec>;

function checked(values: Values): Values {
  const problems: string[] = [];
  const email = values.SIMPLEBANK_ADMIN_EMAIL;
  if (email !== undefined && !/^[^@\s]+@[^@\s]+$/.test(email))
    problems.push('SIMPLEBANK_ADMIN_EMAIL must be an e-mail address');
  if (values.NODE_ENV === 'production') {
    if (email === undefined)
      problems.push("SIMPLEBANK_ADMIN_EMAIL is required when NODE_ENV=production (the first admin's e-mail)");
    if (values.SIMPLEBANK_ADMIN_PASSWORD === undefined)
      problems.push("SIMPLEBANK_ADMIN_PASSWORD is required when NODE_ENV=production (the first admin's password)");
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return values;
}

let loaded: Values | undefined;

/** Like `defineSettings`, plus the rule across settings (production needs the admin's); a refused load keeps nothing. */
export const customersSettings: Settings<typeof spec> = {
  spec,
  load(source: NodeJS.ProcessEnv = process.env) {
    loaded = checked(loadConfig(spec, source));
    return loaded;
  },
  get value() {
    return (loaded ??= checked(loadConfig(spec, process.env)));
  },
};

/** The first admin's credentials, and whether they are the development defaults. */
export function adminCredentials(): { email: string; password: string; defaults: boolean } {
  const v = customersSettings.value;
  return {
    email: v.SIMPLEBANK_ADMIN_EMAIL ?? DEV_ADMIN_EMAIL,
    password: v.SIMPLEBANK_ADMIN_PASSWORD ?? DEV_ADMIN_PASSWORD,
    defaults: v.SIMPLEBANK_ADMIN_EMAIL === undefined || v.SIMPLEBANK_ADMIN_PASSWORD === undefined,
  };
}
