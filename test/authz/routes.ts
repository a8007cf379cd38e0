/**
 * The gateway's route table, read from Fastify itself: the all-in-one system started with an
 * `onRoute` hook on the gateway's plugin, so every route the gateway registers (now and later) is
 * seen, not a hand-written list. Against a system given by SIMPLEBANK_E2E_URL the table cannot be
 * read from Fastify: the OpenAPI document's paths stand in for it there (hidden routes aside).
 */
import { randomBytes } from 'node:crypto';
import { startAllInOne, type ServiceDefinition } from '@simplebank/chassis';
import { stopPrivateServer, testServerUrl } from '@simplebank/chassis/testing';
import { services } from '../../apps/cli/src/services.ts';
import { E2E_SETTINGS } from '../e2e/settings.ts';
import { Http } from '../e2e/system.ts';

export interface RouteEntry {
  method: string;
  /** The OpenAPI form: `/v1/accounts/{accountId}`. */
  path: string;
  /** Fastify's form: `/v1/accounts/:accountId`. */
  url: string;
  /** Hidden from the OpenAPI document (schema.hide). */
  hidden: boolean;
}

export interface RoutedSystem {
  url: string;
  http: Http;
  /** The gateway's routes (HEAD routes Fastify adds for GETs left out), or undefined for an external system. */
  routes: RouteEntry[] | undefined;
  stop(): Promise<void>;
}

/** `/v1/accounts/:accountId` → `/v1/accounts/{accountId}`. */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

export async function startRoutedSystem(extra: Record<string, string> = {}): Promise<RoutedSystem> {
  const external = process.env.SIMPLEBANK_E2E_URL;
  if (external) {
    const url = external.replace(/\/+$/, '');
    return { url, http: new Http(url), routes: undefined, stop: async () => {} };
  }
  const routes: RouteEntry[] = [];
  const wrapped: ServiceDefinition<any>[] = services.map((s) => {
    if (s.contract.service !== 'gateway' || !s.http) return s;
    const http = s.http;
    return {
      ...s,
      http: async (app, ctx) => {
        await app.register(async (scope) => {
          scope.addHook('onRoute', (route) => {
            const methods = Array.isArray(route.method) ? route.method : [route.method];
            for (const method of methods) {
              // Fastify adds a HEAD route beside each GET (exposeHeadRoutes); the GET's entry covers it.
              if (
                method === 'HEAD' &&
                (route as { prefixTrailingSlash?: string }).prefixTrailingSlash === undefined &&
                routes.some((r) => r.method === 'GET' && r.url === route.url)
              )
                continue;
              if (method === 'HEAD') continue;
              routes.push({
                method,
                url: route.url,
                path: openApiPath(route.url),
                hidden: Boolean((route.schema as { hide?: boolean } | undefined)?.hide),
              });
            }
          });
          await http(scope, ctx);
        });
      },
    } as ServiceDefinition<any>;
  });
  const system = await startAllInOne({
    services: wrapped,
    environment: {
      ...process.env,
      DATABASE_URL: await testServerUrl(),
      SIMPLEBANK_DB_PREFIX: `e2e_${randomBytes(4).toString('hex')}`,
      PORT: '0',
      LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'silent',
      ...E2E_SETTINGS,
      ...extra,
    },
  });
  const url = system.runtime.address;
  return {
    url,
    http: new Http(url),
    routes,
    async stop() {
      await system.stop();
      await stopPrivateServer();
    },
  };
}
