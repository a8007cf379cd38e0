/**
 * Preloaded (`--import`) into every service process that `start:distributed` spawns, so that loading
 * code overlaps starting PostgreSQL: the process is spawned at once and loads the chassis (most of a
 * service's start-up CPU), while the parent is still starting the embedded database; it then waits for
 * the parent's go — one JSON line on stdin with the settings known only then (DATABASE_URL) — before
 * the service's main module runs. Without SIMPLEBANK_START_GATE it does nothing.
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

if (process.env.SIMPLEBANK_START_GATE === 'stdin') {
  delete process.env.SIMPLEBANK_START_GATE;
  const [settings] = await Promise.all([go(), import('@simplebank/chassis')]);
  Object.assign(process.env, settings);
}
