/**
 * The web app for `npm start` (decision 0027): nothing generated is committed, so the start command
 * builds apps/web with Vite when apps/web/dist is missing or older than its sources, then tells the
 * gateway where it is (WEB_APP_DIR). A fresh clone needs only `npm ci && npm start`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WEB_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');
export const WEB_DIST = join(WEB_DIR, 'dist');

/** The newest modification time among the app's sources (src/, index.html, the configs). */
function newestSource(): number {
  let newest = 0;
  const visit = (path: string): void => {
    const stat = statSync(path);
    if (stat.isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry));
    else newest = Math.max(newest, stat.mtimeMs);
  };
  for (const entry of ['src', 'index.html', 'vite.config.ts', 'package.json']) {
    const path = join(WEB_DIR, entry);
    if (existsSync(path)) visit(path);
  }
  return newest;
}

/** Whether dist/index.html is missing or older than a source. */
export function webAppStale(): boolean {
  const index = join(WEB_DIST, 'index.html');
  return !existsSync(index) || statSync(index).mtimeMs < newestSource();
}

/**
 * Builds the app if it is stale and returns its directory; undefined (with the reason on stderr)
 * when it cannot be built — the system still starts, serving the API only.
 */
export function ensureWebApp(
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): string | undefined {
  if (!existsSync(join(WEB_DIR, 'package.json'))) return undefined;
  if (!webAppStale()) return WEB_DIST;
  let vite: string;
  try {
    vite = join(dirname(createRequire(join(WEB_DIR, 'package.json')).resolve('vite/package.json')), 'bin', 'vite.js');
  } catch {
    log('web app: vite is not installed (npm ci installs it): serving the API only');
    return undefined;
  }
  log('web app: building apps/web (vite build)…');
  const result = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
    cwd: WEB_DIR,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0) {
    log('web app: the build failed (above): serving the API only');
    return undefined;
  }
  return WEB_DIST;
}
