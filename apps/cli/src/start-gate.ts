/**
 * The first thing every service program of `start:distributed` runs (bundle.ts), so that loading code
 * overlaps starting PostgreSQL: the process is spawned at once and loads the chassis while the parent
 * is still starting the embedded database; it then waits for the parent's go — one JSON line on stdin
 * with the settings known only then (DATABASE_URL) — before the service's main module runs. Without
 * SIMPLEBANK_START_GATE it lets the service start at once.
 */
import { createInterface } from 'node:readline';

function go(): Promise<Record<string, string>> {
  return new Promise((resolve) => {
    const lines = createInterface({ input: process.stdin });
    let settled = false;
    lines.once('line', (line) => {
      settled = true;
      lines.close();
      process.stdin.destroy(); // nothing more comes; an open stdin would keep the process alive
      try {
        resolve(JSON.parse(line) as Record<string, string>);
      } catch {
        process.stderr.write('start gate: the go line is not JSON; stopping\n');
        process.exit(1);
      }
    });
    // The parent went away (or gave up) before saying go: nothing to start.
    lines.once('close', () => {
      if (!settled) process.exit(1);
    });
  });
}

export async function passStartGate(): Promise<void> {
  if (process.env.SIMPLEBANK_START_GATE !== 'stdin') return;
  delete process.env.SIMPLEBANK_START_GATE;
  const [settings] = await Promise.all([go(), import('@simplebank/chassis')]);
  Object.assign(process.env, settings);
}
