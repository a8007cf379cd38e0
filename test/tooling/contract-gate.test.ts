/**
 * The contract gate (npm run contracts:check, scripts/contract-diff.ts): each kind of breaking change
 * is caught — a removed field, method, event, route or parameter, a narrowed type or constraint, a new
 * required request field or parameter, a removed enum value, a response field no longer always there —
 * on the real released contracts, and additive changes pass. And the contracts as they are pass
 * against the committed snapshot.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { compareContracts, compareOpenApi, type Change, type ContractDoc } from '../../scripts/contract-diff.ts';
import { changesSinceRelease } from '../../scripts/contracts.ts';

const root = new URL('../..', import.meta.url).pathname;
const released = (file: string) => JSON.parse(readFileSync(join(root, 'docs/contracts/released', file), 'utf8'));
const breaking = (changes: Change[]) => changes.filter((c) => c.breaking).map((c) => `${c.where}: ${c.what}`);

/** The released orders contract, changed by `edit`, compared with the released one. */
function ordersChanged(edit: (doc: ContractDoc) => void): Change[] {
  const before = released('orders.json') as ContractDoc;
  const after = structuredClone(before);
  edit(after);
  return compareContracts(before, after);
}
function openApiChanged(edit: (doc: any) => void): Change[] {
  const before = released('openapi.json');
  const after = structuredClone(before);
  edit(after);
  return compareOpenApi(before, after);
}
const placeOrder = (doc: ContractDoc) => doc.rpc.placeOrder!;
const orderBody = (doc: any) => doc.paths['/v1/orders'].post.requestBody.content['application/json'].schema;

describe('contract gate: breaking changes are caught', () => {
  it('a removed field (response and request)', () => {
    const response = ordersChanged((d) => {
      const r = d.rpc.getOrder!.response;
      delete r.properties.status;
      r.required = r.required.filter((x: string) => x !== 'status');
    });
    assert.deepEqual(breaking(response), ['orders rpc getOrder response/status: field removed']);
    const request = ordersChanged((d) => delete placeOrder(d).request.properties.source);
    assert.deepEqual(breaking(request), ['orders rpc placeOrder request/source: field removed']);
  });

  it('a removed method, event, route or parameter', () => {
    assert.deepEqual(breaking(ordersChanged((d) => delete d.rpc.cancelOrder)), [
      'orders rpc cancelOrder: method removed',
    ]);
    assert.deepEqual(breaking(ordersChanged((d) => delete d.events.OrderStatusChanged)), [
      'orders events OrderStatusChanged: event removed',
    ]);
    assert.deepEqual(
      breaking(ordersChanged((d) => (d.events.OrderStatusChanged!.type = 'orders.OrderStatusChanged.v2'))),
      ['orders events OrderStatusChanged: message type orders.OrderStatusChanged.v1 → orders.OrderStatusChanged.v2'],
    );
    assert.deepEqual(breaking(openApiChanged((d) => delete d.paths['/v1/orders'].post)), [
      'POST /v1/orders: route removed',
    ]);
    const param = openApiChanged((d) => (d.paths['/v1/orders/{orderId}'].get.parameters = []));
    assert.deepEqual(breaking(param), ['GET /v1/orders/{orderId} parameter path:orderId: parameter removed']);
  });

  it('a narrowed type or constraint in what callers send', () => {
    const type = ordersChanged((d) => (placeOrder(d).request.properties.accountId = { type: 'integer' }));
    assert.deepEqual(breaking(type), ['orders rpc placeOrder request/accountId: narrowed type: string → integer']);
    const length = ordersChanged((d) => (placeOrder(d).request.properties.investmentId.maxLength = 10));
    assert.deepEqual(breaking(length), ['orders rpc placeOrder request/investmentId: narrowed: maxLength 100 → 10']);
    const pattern = openApiChanged(
      (d) => (d.paths['/v1/orders/{orderId}'].get.parameters[0].schema.pattern = '^[a-z]+$'),
    );
    assert.equal(breaking(pattern).length, 1);
    assert.match(breaking(pattern)[0]!, /parameter path:orderId: narrowed: pattern/);
  });

  it('a new type in what others read', () => {
    const changes = ordersChanged((d) => (d.rpc.getOrder!.response.properties.status = { type: ['string', 'null'] }));
    assert.ok(
      breaking(changes).some((c) => /getOrder response\/status/.test(c)),
      breaking(changes).join('\n'),
    );
  });

  it('a new required request field, a field becoming required, a new required parameter or body', () => {
    const added = ordersChanged((d) => {
      placeOrder(d).request.properties.note = { type: 'string' };
      placeOrder(d).request.required.push('note');
    });
    assert.deepEqual(breaking(added), ['orders rpc placeOrder request/note: new required field']);
    const required = ordersChanged((d) => placeOrder(d).request.required.push('source'));
    assert.deepEqual(breaking(required), ['orders rpc placeOrder request/source: field now required']);
    const http = openApiChanged((d) => {
      orderBody(d).properties.note = { type: 'string' };
      orderBody(d).required.push('note');
      d.paths['/v1/orders'].get.parameters.push({
        in: 'query',
        name: 'region',
        required: true,
        schema: { type: 'string' },
      });
    });
    assert.deepEqual(breaking(http), [
      'GET /v1/orders parameter query:region: new required parameter',
      'POST /v1/orders body/note: new required field',
    ]);
  });

  it('a removed enum value, in either direction', () => {
    const request = ordersChanged(
      (d) => (placeOrder(d).request.properties.side = { anyOf: [{ const: 'buy', type: 'string' }] }),
    );
    assert.deepEqual(breaking(request), ['orders rpc placeOrder request/side: enum value removed: "sell"']);
    const event = ordersChanged((d) => {
      const status = d.events.OrderStatusChanged!.data.properties.status;
      status.anyOf = status.anyOf.filter((b: { const: string }) => b.const !== 'expired');
    });
    assert.deepEqual(breaking(event), ['orders events OrderStatusChanged/status: enum value removed: "expired"']);
  });

  it('a response field no longer always present; a method no longer idempotent', () => {
    const optional = ordersChanged(
      (d) => (d.rpc.getOrder!.response.required = d.rpc.getOrder!.response.required.filter((x: string) => x !== 'id')),
    );
    assert.deepEqual(breaking(optional), ['orders rpc getOrder response/id: field no longer always present']);
    const idempotent = Object.entries(released('orders.json').rpc as ContractDoc['rpc']).find(
      ([, m]) => m.idempotent,
    )?.[0];
    if (idempotent)
      assert.deepEqual(breaking(ordersChanged((d) => (d.rpc[idempotent]!.idempotent = false))), [
        `orders rpc ${idempotent}: no longer idempotent (callers retry it)`,
      ]);
  });
});

describe('contract gate: additive changes pass', () => {
  it('new optional request fields, response fields, methods, events, enum values, routes; loosened constraints', () => {
    const changes = ordersChanged((d) => {
      placeOrder(d).request.properties.note = { type: 'string' };
      d.rpc.getOrder!.response.properties.tags = { type: 'array', items: { type: 'string' } };
      d.rpc.getOrder!.response.required.push('tags');
      d.rpc.archiveOrder = {
        request: { type: 'object', properties: {} },
        response: { type: 'object', properties: {} },
      };
      d.events.OrderArchived = {
        type: 'orders.OrderArchived.v1',
        name: 'OrderArchived',
        version: 1,
        data: { type: 'object', properties: {} },
      };
      placeOrder(d).request.properties.source.anyOf.push({ const: 'api', type: 'string' });
      d.events.OrderStatusChanged!.data.properties.status.anyOf.push({ const: 'archived', type: 'string' });
      placeOrder(d).request.properties.investmentId.maxLength = 200;
    });
    assert.deepEqual(breaking(changes), []);
    assert.equal(changes.length, 7, changes.map((c) => `${c.where}: ${c.what}`).join('\n'));
    const http = openApiChanged((d) => {
      d.paths['/v1/orders/{orderId}/notes'] = { get: { responses: { 200: {} } } };
      orderBody(d).properties.note = { type: 'string' };
      d.paths['/v1/orders'].get.parameters.push({ in: 'query', name: 'region', schema: { type: 'string' } });
    });
    assert.deepEqual(breaking(http), []);
    assert.equal(http.length, 3);
  });

  it('no change, no report', () => {
    assert.deepEqual(
      ordersChanged(() => {}),
      [],
    );
    assert.deepEqual(
      openApiChanged(() => {}),
      [],
    );
  });
});

it('the contracts as they are have no breaking change since the released snapshot (npm run contracts:check)', async () => {
  assert.deepEqual(breaking(await changesSinceRelease()), []);
});
