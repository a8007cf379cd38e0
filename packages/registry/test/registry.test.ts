/** The service registry: the repository's services as declared in their folders, and the rules of the declarations. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { registryOf, serviceNamesSorted, serviceRegistry, type ServiceManifest } from '../src/index.ts';

const manifest = (folder: string, simplebank: unknown, name: unknown = `@simplebank/${folder}`): ServiceManifest => ({
  folder,
  packageJson: { name, simplebank },
});

describe("the repository's registry", () => {
  it('keeps every service on the distributed port it always had (docs, deploy files and habits name them)', () => {
    const registry = serviceRegistry();
    const ports = Object.fromEntries(registry.names.map((n) => [n, registry.port(n, 8080)]));
    // A service added later only adds a row; the rows below never change.
    assert.deepEqual(Object.fromEntries(Object.entries(ports).filter(([n]) => n in TODAY)), TODAY);
    assert.equal(new Set(Object.values(ports)).size, registry.names.length, 'no two services share a port');
    assert.equal(
      registry.firstSparePort(8080),
      8080 + Math.max(registry.names.length, ...registry.services.map((s) => s.portOffset)) + 1,
    );
  });

  it('starts providers before their callers, and the gateway (which calls every service) last', () => {
    const registry = serviceRegistry();
    const position = new Map(registry.names.map((n, i) => [n, i]));
    for (const s of registry.services) {
      for (const callee of s.calls)
        assert.ok(position.get(callee)! < position.get(s.name)!, `${callee} before ${s.name}`);
    }
    assert.equal(registry.names.at(-1), 'gateway');
    assert.deepEqual(serviceNamesSorted(), [...registry.names].sort());
  });
});

const TODAY = {
  gateway: 8080,
  customers: 8081,
  accounts: 8082,
  transactions: 8083,
  payments: 8084,
  'market-data': 8085,
  exchange: 8086,
  market: 8087,
  fees: 8088,
  orders: 8089,
  holdings: 8090,
  notifications: 8091,
  strategies: 8092,
  'strategy-orders': 8093,
  reporting: 8094,
};

describe('registryOf', () => {
  it('orders by calls, ties by portOffset then name; "*" is every other service', () => {
    const registry = registryOf([
      manifest('front', { portOffset: 0, calls: ['*'] }),
      manifest('b', { portOffset: 2, calls: ['c'] }),
      manifest('c', { portOffset: 3 }),
      manifest('a', { portOffset: 1, calls: [] }),
    ]);
    assert.deepEqual(registry.names, ['a', 'c', 'b', 'front']);
    assert.deepEqual(registry.get('front').calls, ['a', 'b', 'c']);
    assert.equal(registry.port('c', 9000), 9003);
  });

  it('breaks a cycle in tie-break order instead of refusing to start', () => {
    const registry = registryOf([
      manifest('x', { portOffset: 2, calls: ['y'] }),
      manifest('y', { portOffset: 1, calls: ['x'] }),
      manifest('z', { portOffset: 3, calls: ['x'] }),
    ]);
    assert.deepEqual(registry.names, ['y', 'x', 'z']);
  });

  it('names every problem at once: no field, a bad offset, a shared offset, an unknown callee, a wrong package name', () => {
    assert.throws(
      () =>
        registryOf([
          manifest('a', undefined),
          manifest('b', { portOffset: -1 }),
          manifest('c', { portOffset: 4, calls: ['nobody'] }),
          manifest('d', { portOffset: 4 }),
          manifest('e', { portOffset: 5 }, '@other/e'),
          manifest('Bad_Name', { portOffset: 6 }, '@simplebank/Bad_Name'),
        ]),
      (err: Error) => {
        for (const part of [
          'services/a/package.json: no "simplebank" field',
          'services/b/package.json: "simplebank.portOffset"',
          'calls nobody',
          'both declare portOffset 4',
          '"name" must be "@simplebank/e"',
          "services/Bad_Name: a service's folder name",
        ]) {
          assert.ok(err.message.includes(part), `${part} in:\n${err.message}`);
        }
        return true;
      },
    );
  });
});
