/**
 * The services the all-in-one mode hosts, in start order: every folder of services/ the registry
 * knows (@simplebank/registry, from each services/<name>/package.json), each one's definition
 * loaded from services/<name>/src/service.ts. Nothing here names a service: a new folder is picked up.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ServiceDefinition } from '@simplebank/chassis';
import { SERVICES_DIR, serviceRegistry } from '@simplebank/registry';

/**
 * The one ServiceDefinition a service.ts exports (`defineService(...)`, whatever its name), found by
 * its contract's service name: a service.ts may export other things too (the gateway's publicApi).
 */
export async function loadServiceDefinition(
  name: string,
  servicesDir: string = SERVICES_DIR,
): Promise<ServiceDefinition<any>> {
  const file = join(servicesDir, name, 'src', 'service.ts');
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const found = Object.values(mod).filter(
    (v): v is ServiceDefinition<any> =>
      typeof v === 'object' &&
      v !== null &&
      'contract' in v &&
      'rpc' in v &&
      (v as ServiceDefinition).contract?.service === name,
  );
  if (found.length !== 1)
    throw new Error(
      `${file} must export one service definition whose contract's service is "${name}" (found ${found.length})`,
    );
  return found[0]!;
}

/** Every service's definition in the registry's start order (providers before callers, the gateway last). */
export async function loadServices(servicesDir?: string): Promise<ServiceDefinition<any>[]> {
  return Promise.all(serviceRegistry(servicesDir).names.map((name) => loadServiceDefinition(name, servicesDir)));
}

export const services: ServiceDefinition<any>[] = await loadServices();
