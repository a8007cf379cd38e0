/**
 * Consumer-driven contracts: a consumer's expectations checked against the real provider (and its
 * stubs). The verifier must fail on a field the provider does not answer, naming consumer and field.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MemoryTransport, NotFoundError, T, rpc } from '../src/index.ts';
import {
  checkEventReads,
  checkReads,
  exerciseOnStubs,
  expects,
  loadExpectations,
  startTestService,
  stubService,
  verifyAgainst,
  type TestService,
} from '../src/testing/index.ts';
import { catalogContract, catalogService } from './fixtures/consumer-contracts/catalog.ts';

const servicesDir = new URL('./fixtures/consumer-contracts/services', import.meta.url);
const anItem = {
  'an item': async ({ service }: { service: TestService }) => {
    const item = await service.call(
      catalogContract,
      'addItem',
      { name: 'Kettle', price: '25.00' },
      { idempotencyKey: `k-${Math.random()}` },
    );
    return { request: { itemId: item.id } };
  },
};

describe('consumer-driven contracts', () => {
  describe('reads checked against an answer and its schema', () => {
    const def = catalogContract.rpc.getItem;
    const answer = { id: 'i-1', name: 'Kettle', price: null, tags: [{ label: 'new' }] };

    it('passes fields that are declared and answered, nested and in arrays, of the types read', () => {
      assert.deepEqual(
        checkReads(def, answer, [
          'id',
          'tags[].label',
          { path: 'price', type: ['string', 'null'] },
          { path: 'tags', type: 'array' },
        ]),
        [],
      );
    });

    it('names a field the schema does not declare, and one declared but not answered', () => {
      assert.deepEqual(checkReads(def, answer, ['colour', 'discount']), [
        `field "colour" is not in the provider's response schema`,
        `field "discount" is missing from the answer`,
      ]);
    });

    it('refuses a nullable field read as a string, and a wrong type in the answer', () => {
      assert.deepEqual(checkReads(def, answer, [{ path: 'price', type: 'string' }]), [
        `field "price" is string | null in the provider's response schema, but the consumer reads it as string`,
      ]);
      const loose = rpc({ request: T.Object({}), response: T.Object({ n: T.Unknown() }) });
      assert.deepEqual(checkReads(loose, { n: 'seven' }, [{ path: 'n', type: 'integer' }]), [
        `field "n" is string in the answer ("seven"), but the consumer reads it as integer`,
      ]);
    });

    it('cannot check through an empty array, and says so', () => {
      assert.deepEqual(checkReads(def, { ...answer, tags: [] }, ['tags[].label']), [
        `field "tags" is an empty array in the answer: "tags[].label" cannot be checked (the provider state should give it an element)`,
      ]);
    });

    it("checks an event's reads against the provider's event schema", () => {
      assert.deepEqual(checkEventReads(catalogContract, { event: 'ItemAdded', reads: ['itemId', 'name'] }), []);
      assert.deepEqual(checkEventReads(catalogContract, { event: 'ItemAdded', reads: ['addedBy'] }), [
        `field "addedBy" is not in the schema of catalog.ItemAdded.v1`,
      ]);
      assert.deepEqual(checkEventReads(catalogContract, { event: 'ItemRemoved', reads: ['itemId'] }), [
        'catalog publishes no event ItemRemoved',
      ]);
    });
  });

  describe('against the real provider', () => {
    let svc: TestService;
    before(async () => {
      svc = await startTestService(catalogService());
    });
    after(async () => {
      await svc.stop();
    });

    it('finds each consumer by its folder (services/<consumer>/test/contracts/<provider>.expectations.ts)', async () => {
      const found = await loadExpectations('catalog', { servicesDir });
      assert.deepEqual(
        found.map((e) => e.consumer),
        ['broken', 'shop'],
      );
      assert.deepEqual(await loadExpectations('nobody', { servicesDir }), []);
    });

    it('passes a consumer whose reads the provider answers, fails one whose reads it does not, naming consumer and field', async () => {
      const results = await verifyAgainst(
        svc,
        catalogContract,
        await loadExpectations('catalog', { servicesDir }),
        anItem,
      );
      const problems = (consumer: string) =>
        results.filter((r) => r.consumer === consumer).flatMap((r) => r.problems.map((p) => `${r.what}: ${p}`));
      assert.deepEqual(problems('shop'), []);
      assert.deepEqual(problems('broken'), [
        `broken expects catalog.getItem (shows the colour of an item): field "colour" is not in the provider's response schema`,
        `broken expects catalog.getItem (shows the discount of an item): field "discount" is missing from the answer`,
        `broken expects catalog.getItem (adds up prices): field "price" is string | null in the provider's response schema, but the consumer reads it as string`,
        `broken reads catalog's event ItemAdded: field "addedBy" is not in the schema of catalog.ItemAdded.v1`,
      ]);
    });

    it('fails an interaction whose provider state the provider does not set up, and an expected refusal that does not come', async () => {
      const e = expects(catalogContract, {
        consumer: 'shop',
        interactions: [
          { description: 'needs a sale', given: 'a sale', call: 'listItems', request: {}, reads: [] },
          { description: 'expects a refusal', call: 'listItems', request: {}, error: 'not_found' },
        ],
      });
      const [unknownState, noRefusal] = await verifyAgainst(svc, catalogContract, [e], anItem);
      assert.deepEqual(unknownState!.problems, [
        `provider state "a sale" failed: the provider's contract test sets up no such state (it knows: "an item")`,
      ]);
      assert.match(
        noRefusal!.problems[0]!,
        /^answered \{"items":\[.*\]\} where the consumer expects the refusal not_found$/,
      );
    });
  });

  describe("against the consumer's stubs", () => {
    const shop = async () => (await loadExpectations('catalog', { servicesDir })).find((e) => e.consumer === 'shop')!;
    const run = async (
      stub: Parameters<typeof stubService<typeof catalogContract>>[2],
      states: Parameters<typeof exerciseOnStubs>[3] = {},
    ) => {
      const transport = new MemoryTransport();
      await transport.connect();
      const served = await stubService(transport, catalogContract, stub);
      try {
        const e = await shop();
        return await Promise.all(e.interactions.map((i) => exerciseOnStubs(transport, e, i, states)));
      } finally {
        await served.cancel();
        await transport.close();
      }
    };
    const item = { id: 'item-x', name: 'Kettle', price: '25.00', tags: [{ label: 'new' }] };

    it('passes a stub that answers what the consumer reads', async () => {
      const results = await run({
        getItem: (req) => {
          if (req.itemId !== 'item-x') throw new NotFoundError('No such item');
          return item;
        },
        listItems: () => ({ items: [item] }),
      });
      assert.deepEqual(results, [{ problems: [] }, { problems: [] }, { problems: [] }]);
    });

    it("sets up a named state in the stub's world when given one, replacing fields of the example", async () => {
      const seen: string[] = [];
      const results = await run(
        {
          getItem: (req) => {
            seen.push(req.itemId);
            if (req.itemId !== 'item-7') throw new NotFoundError('No such item');
            return { ...item, id: 'item-7' };
          },
          listItems: () => ({ items: [item] }),
        },
        {
          'an item': async ({ call }) => ({
            request: { itemId: (await call(catalogContract, 'listItems', {})).items.length > 0 ? 'item-7' : 'none' },
          }),
        },
      );
      assert.deepEqual(results, [{ problems: [] }, { problems: [] }, { problems: [] }]);
      assert.deepEqual(seen.sort(), ['item-7', 'nothing']);
    });

    it('fails a stub that drifted (an empty list where the consumer reads its items), and skips what the stub does not implement', async () => {
      const results = await run({ listItems: () => ({ items: [] }) });
      assert.equal(results[0]!.skipped, 'the stub of catalog does not implement getItem');
      assert.deepEqual(results[2]!.problems, [
        `field "items" is an empty array in the answer: "items[].id" cannot be checked (the provider state should give it an element)`,
        `field "items" is an empty array in the answer: "items[].name" cannot be checked (the provider state should give it an element)`,
      ]);
    });
  });

  it('the provider test a service writes (verifyConsumerExpectations) fails, naming the consumer and the field, and passes the others', async () => {
    const file = fileURLToPath(new URL('./fixtures/consumer-contracts/verify-catalog.ts', import.meta.url));
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
      // Not as a subtest of this run (node:test marks its children by NODE_TEST_CONTEXT): a run of its own.
      const { NODE_TEST_CONTEXT: _, ...env } = process.env;
      const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', file], {
        env: { ...env, LOG_LEVEL: 'silent' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      child.on('exit', (c) => resolve({ code: c, output }));
    });
    assert.equal(code, 1, output);
    assert.match(
      output,
      /broken expects catalog\.getItem \(shows the colour of an item\):\s+- field "colour" is not in the provider's response schema/,
    );
    assert.match(
      output,
      /broken expects catalog\.getItem \(shows the discount of an item\):\s+- field "discount" is missing from the answer/,
    );
    // Four of broken's checks fail; shop's four and "has consumers" pass.
    assert.match(output, /ℹ pass 5\b/, output);
    assert.match(output, /ℹ fail 4\b/, output);
  });
});
