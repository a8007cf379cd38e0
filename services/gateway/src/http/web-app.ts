/**
 * The web app (apps/web, built by Vite into WEB_APP_DIR) served at `/` by the gateway — in the
 * all-in-one process and by the distributed mode's gateway process alike (decision 0027).
 *
 * Only the files the build produced get routes (`wildcard: false`), plus the app's own client-side
 * paths, which answer index.html (the SPA fallback). The fallback is a closed list, so it never
 * shadows /v1, /graphql, /docs, /metrics or /health*: an unknown path is still the usual 404 problem.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** The app's client-side routes (apps/web/src/router.ts keeps the same list); each answers index.html. */
export const WEB_APP_ROUTES = [
  '/signup',
  '/login',
  '/accounts',
  '/trade',
  '/orders',
  '/orders/:orderId',
  '/holdings',
  '/notifications',
  '/profile',
  '/admin',
  '/admin/dead-letters',
  '/operations',
  '/operations/sagas',
  '/operations/sagas/:service/:sagaId',
] as const;

/**
 * Only this origin's scripts, styles, images and API: no inline script, no framing. The app needs
 * nothing else (its fonts are the system's, its charts are drawn by its own code).
 */
export const WEB_APP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function secure(reply: FastifyReply): void {
  reply.header('Content-Security-Policy', WEB_APP_CSP);
  reply.header('X-Content-Type-Options', 'nosniff');
  reply.header('X-Frame-Options', 'DENY');
  reply.header('Referrer-Policy', 'no-referrer');
}

/** Whether `dir` holds a built app (index.html). */
export function hasWebApp(dir: string | undefined): dir is string {
  return dir !== undefined && existsSync(join(dir, 'index.html'));
}

/** Serves the built app in `dir` at `/` (an encapsulated plugin: its headers apply to these routes only). */
export async function webAppRoutes(app: FastifyInstance, dir: string): Promise<void> {
  const root = resolve(dir);
  app.addHook('onSend', async (_request, reply, payload) => {
    secure(reply);
    return payload;
  });
  await app.register(fastifyStatic, {
    root,
    wildcard: false,
    // Hashed file names under assets/ never change: cache them for good. Everything else (index.html)
    // is revalidated, so a new build is picked up on the next load.
    setHeaders: (reply: FastifyReply, path: string) => {
      reply.header('Cache-Control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
    cacheControl: false,
  });
  for (const route of WEB_APP_ROUTES) {
    app.get(route, { schema: { hide: true } }, (_request, reply) =>
      reply.header('Cache-Control', 'no-cache').sendFile('index.html', { cacheControl: false }),
    );
  }
}
