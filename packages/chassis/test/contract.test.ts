import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  T,
  ValidationError,
  assertValid,
  asyncApiDocument,
  command,
  contractDocument,
  defineContract,
  event,
  rpc,
  validationErrors,
} from '../src/index.ts';

const ordersContract = defineContract({
  service: 'orders',
  rpc: {
    placeOrder: rpc({
      request: T.Object(
        { accountId: T.String({ format: 'uuid' }), quantity: T.String({ pattern: '^\\d+(\\.\\d{1,6})?$' }) },
        { additionalProperties: false },
      ),
      response: T.Object({ id: T.String() }),
      errors: ['insufficient_funds'],
      idempotent: true,
    }),
  },
  events: {
    OrderFilled: event({ data: T.Object({ orderId: T.String() }) }),
    OrderFilledV2: event({
      name: 'OrderFilled',
      version: 2,
      data: T.Object({ orderId: T.String(), fillPrice: T.String() }),
    }),
  },
  commands: { ExpireOrder: command({ data: T.Object({ orderId: T.String() }) }) },
});

describe('contracts', () => {
  it('names events and commands by service, name and version', () => {
    assert.equal(ordersContract.events.OrderFilled.type, 'orders.OrderFilled.v1');
    assert.equal(ordersContract.events.OrderFilledV2.type, 'orders.OrderFilled.v2');
    assert.equal(ordersContract.commands.ExpireOrder.type, 'orders.ExpireOrder.v1');
    assert.equal(ordersContract.commands.ExpireOrder.kind, 'command');
    assert.equal(ordersContract.rpc.placeOrder.idempotent, true);
  });

  it('refuses a service name that is not kebab-case', () => {
    assert.throws(() => defineContract({ service: 'Orders' }), /kebab-case/);
  });

  it('names every invalid field of a request', () => {
    const errors = validationErrors(ordersContract.rpc.placeOrder.request, {
      accountId: 'nope',
      quantity: 1,
      extra: true,
    });
    const paths = errors.map((e) => e.path);
    assert.ok(paths.includes('/accountId'), JSON.stringify(errors));
    assert.ok(paths.includes('/quantity'), JSON.stringify(errors));
    assert.ok(paths.includes('/extra'), JSON.stringify(errors));
  });

  it('throws a ValidationError (400, validation_failed) from assertValid', () => {
    try {
      assertValid(
        ordersContract.rpc.placeOrder.request,
        { accountId: '6f1c1d2e-8a55-4a53-9f54-2a3b4c5d6e7f', quantity: '1.1234567' },
        'order',
      );
      assert.fail('expected a ValidationError');
    } catch (err) {
      assert.ok(err instanceof ValidationError);
      assert.equal(err.status, 400);
      assert.equal(err.code, 'validation_failed');
      assert.equal(err.errors?.[0]?.path, '/quantity');
    }
  });

  it('lets a tolerant reader accept fields it does not know', () => {
    assert.deepEqual(validationErrors(ordersContract.events.OrderFilled.data, { orderId: 'o1', somethingNew: 1 }), []);
  });

  it('exports plain JSON Schema and an AsyncAPI document', () => {
    const doc = contractDocument(ordersContract);
    const request = doc.rpc.placeOrder!.request as {
      type: string;
      properties: Record<string, unknown>;
      additionalProperties: boolean;
    };
    assert.equal(request.type, 'object');
    assert.equal(request.additionalProperties, false);
    assert.deepEqual(Object.keys(request.properties), ['accountId', 'quantity']);
    assert.equal(doc.events.OrderFilledV2!.type, 'orders.OrderFilled.v2');
    const asyncapi = asyncApiDocument([ordersContract], { title: 'SimpleBank', version: '1' }) as {
      asyncapi: string;
      channels: Record<string, { address: string }>;
    };
    assert.equal(asyncapi.asyncapi, '3.0.0');
    assert.deepEqual(
      Object.values(asyncapi.channels)
        .map((c) => c.address)
        .sort(),
      ['orders.ExpireOrder.v1', 'orders.OrderFilled.v1', 'orders.OrderFilled.v2'],
    );
  });
});
