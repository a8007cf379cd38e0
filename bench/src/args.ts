/** The bench's flags (bench/README.md lists them); `--quick` changes the defaults, flags given win. */
import type { Mode } from './system.ts';

export interface Options {
  quick: boolean;
  mode: Mode;
  /** Search steps, seconds. */
  stepSeconds: number;
  /** The steps at the knee and at half the knee, seconds. */
  durationSeconds: number;
  overloadSeconds: number;
  overloadFactor: number;
  /** The search ladder; bisection follows between the last passing and the first failing rate. */
  rates: number[];
  bisections: number;
  customers: number;
  seed: number;
  p99BoundMs: number;
  /** Each reference's measuring time, seconds. */
  refSeconds: number;
  idleSeconds: number;
  /** Pause before reading pg_stat_database, so that idle backends have flushed their counters. */
  settleSeconds: number;
  drainSeconds: number;
  connections: number;
  logLevel: string;
  outDir: string;
  amqpUrl: string;
}

const USAGE = `npm run bench -- [--quick] [--mode all-in-one|distributed] [--duration s] [--step s] [--rates 10,20,40]
  [--max-rate n] [--customers n] [--seed n] [--p99-bound ms] [--overload-seconds s] [--overload-factor x]
  [--ref-seconds s] [--log-level warn] [--out dir]`;

function ladder(from: number, max: number): number[] {
  const out: number[] = [];
  for (let r = from; r <= max; r *= 2) out.push(r);
  return out;
}

export function parseArgs(argv: string[], outDefault: string): Options {
  const flags = new Map<string, string>();
  const bare = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument "${a}"\n${USAGE}`);
    const [key, inline] = a.slice(2).split('=', 2) as [string, string | undefined];
    if (key === 'quick' || key === 'help') bare.add(key);
    else if (inline !== undefined) flags.set(key, inline);
    else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) flags.set(key, argv[++i]!);
    else throw new Error(`--${key} needs a value\n${USAGE}`);
  }
  if (bare.has('help')) {
    console.log(USAGE);
    process.exit(0);
  }
  const known = [
    'mode',
    'duration',
    'step',
    'rates',
    'max-rate',
    'customers',
    'seed',
    'p99-bound',
    'overload-seconds',
    'overload-factor',
    'ref-seconds',
    'log-level',
    'out',
  ];
  for (const k of flags.keys()) if (!known.includes(k)) throw new Error(`unknown flag --${k}\n${USAGE}`);
  const quick = bare.has('quick');
  const num = (key: string, fallback: number): number => {
    const raw = flags.get(key);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${key} must be a positive number, got "${raw}"`);
    return n;
  };
  const mode = (flags.get('mode') ?? 'all-in-one') as Mode;
  if (mode !== 'all-in-one' && mode !== 'distributed')
    throw new Error(`--mode is all-in-one or distributed, got "${mode}"`);
  const rates = flags.has('rates')
    ? flags
        .get('rates')!
        .split(',')
        .map((r) => {
          const n = Number(r);
          if (!Number.isFinite(n) || n <= 0) throw new Error(`--rates: "${r}" is not a positive number`);
          return n;
        })
    : ladder(10, num('max-rate', quick ? 40 : 5120));
  return {
    quick,
    mode,
    stepSeconds: num('step', quick ? 3 : 10),
    durationSeconds: num('duration', quick ? 4 : 60),
    overloadSeconds: num('overload-seconds', quick ? 4 : 30),
    overloadFactor: num('overload-factor', 3),
    rates,
    bisections: quick ? 1 : 3,
    customers: Math.round(num('customers', quick ? 20 : 200)),
    seed: Math.round(num('seed', 42)),
    p99BoundMs: num('p99-bound', 1000),
    refSeconds: num('ref-seconds', quick ? 1 : 8),
    idleSeconds: quick ? 4 : 10,
    settleSeconds: quick ? 2 : 11,
    drainSeconds: 10,
    connections: quick ? 128 : 512,
    logLevel: flags.get('log-level') ?? 'warn',
    outDir: flags.get('out') ?? outDefault,
    amqpUrl: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
  };
}
