/**
 * The SimpleBank services the all-in-one mode hosts, in start order. Each entry is a service's
 * definition (`services/<name>/src/service.ts`).
 */
import type { ServiceDefinition } from '@simplebank/chassis';

export const services: ServiceDefinition<any>[] = [];
