/**
 * `npm run bench` — SimpleBank's benchmark suite (bench/README.md, docs/performance.md).
 * Writes bench/results/<date>-<mode>[-quick].json and .md, and prints the Markdown.
 * Every process it starts is stopped at the end, on an error, and on Ctrl-C.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from './args.ts';
import { markdown } from './markdown.ts';
import { killAll } from './procs.ts';
import type { Report } from './report.ts';
import { runSuite } from './suite.ts';
import { ROOT, type RunningSystem } from './system.ts';

const began = Date.now();
const log = (line: string) =>
  process.stderr.write(`[bench ${((Date.now() - began) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);

let options;
try {
  options = parseArgs(process.argv.slice(2), join(ROOT, 'bench/results'));
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}

/** The knee of the newest all-in-one report beside ours (quick with quick), the distributed mode's reference. */
function allInOneKnee(dir: string, quick: boolean): { file: string | null; rate: number | null } {
  if (!existsSync(dir)) return { file: null, rate: null };
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(quick ? '-all-in-one-quick.json' : '-all-in-one.json'))
    .sort();
  const file = files[files.length - 1];
  if (!file) return { file: null, rate: null };
  try {
    const report = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Report;
    return { file, rate: report.atKnee.filledPerSec };
  } catch {
    return { file, rate: null };
  }
}

// SimpleBank's output is kept quiet (LOG_LEVEL=warn), and its last lines are shown if the run fails.
const systemTail: string[] = [];
let system: RunningSystem | undefined;
let interrupted = false;
const onSignal = (signal: NodeJS.Signals) => {
  if (interrupted) {
    killAll();
    process.exit(130);
  }
  interrupted = true;
  log(`${signal}: stopping every process the bench started (again to kill at once)`);
  void (system ? system.stop() : Promise.resolve()).finally(() => {
    killAll();
    process.exit(130);
  });
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

try {
  const report = await runSuite(options, {
    log,
    systemLog: (line) => {
      systemTail.push(line);
      if (systemTail.length > 60) systemTail.shift();
    },
    started: (s) => (system = s),
    allInOneKnee: allInOneKnee(options.outDir, options.quick),
  });
  mkdirSync(options.outDir, { recursive: true });
  const name = `${report.date}-${report.mode}${report.quick ? '-quick' : ''}`;
  const md = markdown(report);
  writeFileSync(join(options.outDir, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(options.outDir, `${name}.md`), md);
  process.stdout.write(`${md}\n`);
  log(
    `wrote ${relative(process.cwd(), join(options.outDir, name))}.json and .md in ${Math.round((Date.now() - began) / 1000)} s`,
  );
} catch (err) {
  log(`failed: ${(err as Error).stack ?? err}`);
  if (systemTail.length > 0) process.stderr.write(`--- SimpleBank's last lines ---\n${systemTail.join('\n')}\n`);
  process.exitCode = 1;
} finally {
  const left = killAll();
  if (left > 0) log(`killed ${left} process group(s) left behind`);
}
// Pools and timers of the references must not keep the process up.
process.exit(process.exitCode ?? 0);
