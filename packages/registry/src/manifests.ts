/**
 * The service registry from the manifests themselves, with no file system (so a browser bundle may
 * use it too): each `services/<name>/package.json` carries a `"simplebank"` field,
 *
 *   "simplebank": { "portOffset": 4, "calls": ["accounts", "transactions"] }
 *
 * - `portOffset`: the distributed mode on one machine listens on PORT + portOffset (0 is PORT
 *   itself: the gateway). Declared, not derived from a position, so adding a service moves no one.
 * - `calls`: the services whose RPC methods (or commands) it calls through their contracts; `"*"`
 *   is every other service (the gateway's admin fan-out). HTTP calls (market → exchange) are not
 *   listed: the start order is about the transport, and they would form a cycle. The list must be
 *   what the code calls, no more and no less (packages/registry/test/calls-in-code.test.ts reads
 *   each service's `call(xContract, …)` and `send(xContract.commands…)`).
 *
 * The start order is topological over `calls` (providers before their callers), ties broken by
 * portOffset then name, so the order is stable and, for today's services, the one the distributed
 * mode always had. A cycle is broken the same way rather than refused: no service needs another
 * to start (a caller's calls wait for the provider), the order only makes a start quieter.
 */

/** What a service declares in its package.json's `"simplebank"` field. */
export interface ServiceDeclaration {
  portOffset: number;
  calls?: string[];
}

/** One service of the repository. */
export interface ServiceEntry {
  /** The folder's name, which is also the contract's `service` and the package `@simplebank/<name>`. */
  name: string;
  portOffset: number;
  /** The services it calls, `"*"` expanded, in name order. */
  calls: string[];
}

/** A service folder as read: its name and its parsed package.json. */
export interface ServiceManifest {
  folder: string;
  packageJson: { name?: unknown; simplebank?: unknown };
}

export interface ServiceRegistry {
  /** Every service in start order (providers before callers). */
  readonly services: readonly ServiceEntry[];
  /** Every service's name in start order. */
  readonly names: readonly string[];
  has(name: string): boolean;
  get(name: string): ServiceEntry;
  /** The service's port in the distributed mode on one machine, from the gateway's `basePort` (PORT). */
  port(name: string, basePort: number): number;
  /** The first port after every service's own (extra instances go from here). */
  firstSparePort(basePort: number): number;
}

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
/** Ports stay below PORT + 1000: far from the next system's block on the same machine. */
const MAX_OFFSET = 999;

/** Checks every manifest and answers the registry; a problem anywhere throws one error naming them all. */
export function registryOf(manifests: readonly ServiceManifest[]): ServiceRegistry {
  const problems: string[] = [];
  const declared = new Map<string, ServiceDeclaration>();
  for (const { folder, packageJson } of manifests) {
    const where = `services/${folder}/package.json`;
    if (!NAME.test(folder))
      problems.push(`services/${folder}: a service's folder name is lower-case words joined by "-"`);
    if (packageJson.name !== `@simplebank/${folder}`) problems.push(`${where}: "name" must be "@simplebank/${folder}"`);
    const field = packageJson.simplebank as Partial<ServiceDeclaration> | undefined;
    if (!field || typeof field !== 'object') {
      problems.push(`${where}: no "simplebank" field ({ "portOffset": <n>, "calls": [...] })`);
      continue;
    }
    const { portOffset, calls = [] } = field;
    if (!Number.isInteger(portOffset) || portOffset! < 0 || portOffset! > MAX_OFFSET)
      problems.push(`${where}: "simplebank.portOffset" must be an integer from 0 to ${MAX_OFFSET}`);
    if (!Array.isArray(calls) || !calls.every((c) => typeof c === 'string'))
      problems.push(`${where}: "simplebank.calls" must be a list of service names`);
    else declared.set(folder, { portOffset: portOffset!, calls });
  }
  const byOffset = new Map<number, string>();
  for (const [name, d] of declared) {
    const other = byOffset.get(d.portOffset);
    if (other !== undefined)
      problems.push(`services/${name} and services/${other} both declare portOffset ${d.portOffset}`);
    byOffset.set(d.portOffset, name);
    for (const callee of d.calls ?? []) {
      if (callee === name) problems.push(`services/${name}: calls itself`);
      else if (callee !== '*' && !declared.has(callee) && !manifests.some((m) => m.folder === callee))
        problems.push(`services/${name}: calls ${callee}, which is not a service`);
    }
  }
  if (problems.length > 0)
    throw new Error(`The service registry (services/*/package.json) has problems:\n  ${problems.join('\n  ')}`);

  // "*" is every other service but those that also say "*" (two would only wait for each other).
  const everyone = (name: string) =>
    [...declared.keys()].filter((n) => n !== name && !declared.get(n)!.calls?.includes('*'));
  const entries = [...declared].map(
    ([name, d]): ServiceEntry => ({
      name,
      portOffset: d.portOffset,
      calls: [...new Set((d.calls ?? []).flatMap((c) => (c === '*' ? everyone(name) : [c])))].sort(),
    }),
  );
  return registryFrom(startOrder(entries));
}

/** Kahn's algorithm, the ready service with the lowest (portOffset, name) first; a cycle is broken the same way. */
export function startOrder(entries: readonly ServiceEntry[]): ServiceEntry[] {
  const before = (a: ServiceEntry, b: ServiceEntry) =>
    a.portOffset - b.portOffset || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const remaining = [...entries].sort(before);
  const started = new Set<string>();
  const order: ServiceEntry[] = [];
  while (remaining.length > 0) {
    let i = remaining.findIndex((e) => e.calls.every((c) => started.has(c)));
    if (i < 0) i = 0; // a cycle: the first in tie-break order goes first
    const [next] = remaining.splice(i, 1);
    order.push(next!);
    started.add(next!.name);
  }
  return order;
}

function registryFrom(services: ServiceEntry[]): ServiceRegistry {
  const byName = new Map(services.map((s) => [s.name, s]));
  const maxOffset = Math.max(0, ...services.map((s) => s.portOffset));
  const get = (name: string) => {
    const entry = byName.get(name);
    if (!entry) throw new Error(`no service ${name} (services/*: ${[...byName.keys()].join(', ')})`);
    return entry;
  };
  return {
    services,
    names: services.map((s) => s.name),
    has: (name) => byName.has(name),
    get,
    port: (name, basePort) => basePort + get(name).portOffset,
    // Today's launcher put extra instances after PORT + 1 + the number of services: kept, and never
    // on a declared offset when offsets have gaps.
    firstSparePort: (basePort) => basePort + Math.max(services.length, maxOffset) + 1,
  };
}
