/**
 * `@simplebank/registry`: the services of this repository, read from `services/<name>/package.json`
 * (see manifests.ts for the `"simplebank"` field). The one source of the names, the distributed
 * mode's ports and the start order: a new service is a new folder, and nothing else lists it.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { registryOf, type ServiceManifest, type ServiceRegistry } from './manifests.ts';

export * from './manifests.ts';

/** The repository's services/ folder (this package sits in packages/registry/src). */
export const SERVICES_DIR = new URL('../../../services', import.meta.url).pathname;

/** Every folder of `servicesDir` holding a package.json (dot-folders aside), by name. */
export function readManifests(servicesDir: string = SERVICES_DIR): ServiceManifest[] {
  return readdirSync(servicesDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.') && existsSync(join(servicesDir, d.name, 'package.json')))
    .map((d) => d.name)
    .sort()
    .map((folder) => ({
      folder,
      packageJson: JSON.parse(
        readFileSync(join(servicesDir, folder, 'package.json'), 'utf8'),
      ) as ServiceManifest['packageJson'],
    }));
}

const cache = new Map<string, ServiceRegistry>();

/** The registry of `servicesDir` (the repository's by default), read once per process. */
export function serviceRegistry(servicesDir: string = SERVICES_DIR): ServiceRegistry {
  let registry = cache.get(servicesDir);
  if (!registry) cache.set(servicesDir, (registry = registryOf(readManifests(servicesDir))));
  return registry;
}

/** Every service's name in start order (providers before callers, the gateway last). */
export function serviceNames(servicesDir?: string): readonly string[] {
  return serviceRegistry(servicesDir).names;
}

/** Every service's name in alphabetical order (lists shown to people: the admin API's, the web app's). */
export function serviceNamesSorted(servicesDir?: string): string[] {
  return [...serviceRegistry(servicesDir).names].sort();
}
