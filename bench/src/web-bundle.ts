/**
 * The web app's weight (issue 12: "the bundle size goes in the bench report"): the built files the
 * browser fetches for the first page (apps/web/dist, built by `simplebank start`), raw and gzipped.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT } from './system.ts';

export interface WebBundle {
  files: { name: string; bytes: number; gzipBytes: number }[];
  jsBytes: number;
  jsGzipBytes: number;
  cssBytes: number;
  cssGzipBytes: number;
}

/** Null when the app is not built (the API only). */
export function webBundle(dist = join(ROOT, 'apps/web/dist')): WebBundle | null {
  const assets = join(dist, 'assets');
  if (!existsSync(join(dist, 'index.html')) || !existsSync(assets)) return null;
  const files = ['index.html', ...readdirSync(assets).map((f) => `assets/${f}`)].map((name) => {
    const body = readFileSync(join(dist, name));
    return { name, bytes: body.length, gzipBytes: gzipSync(body, { level: 9 }).length };
  });
  const total = (ext: string, key: 'bytes' | 'gzipBytes') =>
    files.filter((f) => f.name.endsWith(ext)).reduce((n, f) => n + f[key], 0);
  return {
    files,
    jsBytes: total('.js', 'bytes'),
    jsGzipBytes: total('.js', 'gzipBytes'),
    cssBytes: total('.css', 'bytes'),
    cssGzipBytes: total('.css', 'gzipBytes'),
  };
}
