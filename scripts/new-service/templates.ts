/**
 * The files of a new service (npm run new:service), modelled on services/strategies: a contract, a
 * service.ts that reads like its table of contents, a pure domain/, the SQL in store.ts, a
 * migration, main.ts for the distributed mode, settings, and a component test on real PostgreSQL.
 * The example it holds (items with a title) is there to be replaced, but it runs and passes as is.
 */

export interface Names {
  /** `loyalty-points` (folder, contract's service, package `@simplebank/loyalty-points`). */
  service: string;
  /** `loyaltyPoints` (loyaltyPointsContract, loyaltyPointsService, loyaltyPointsSettings). */
  camel: string;
  /** `LOYALTY_POINTS` (the prefix of its settings). */
  env: string;
}

export function namesOf(service: string): Names {
  return {
    service,
    camel: service.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase()),
    env: service.toUpperCase().replace(/-/g, '_'),
  };
}

/** Every file of the new service: path inside services/<name>/ → content. */
export function serviceFiles(n: Names, registryField: { portOffset: number; calls: string[] }): Map<string, string> {
  const { service, camel, env } = n;
  const files = new Map<string, string>();
  files.set(
    'package.json',
    `${JSON.stringify(
      {
        name: `@simplebank/${service}`,
        version: '0.1.0',
        private: true,
        type: 'module',
        exports: { './contract': './src/contract.ts', './service': './src/service.ts' },
        dependencies: { '@simplebank/chassis': '0.1.0' },
        simplebank: registryField,
      },
      null,
      2,
    )}\n`,
  );

  files.set(
    'src/contract.ts',
    `/** ${service}: what other services and the gateway may ask of it — its one typed source (scaffolded by npm run new:service). */
import { Page, PageRequest, T, defineContract, event, rpc } from '@simplebank/chassis';
import { MAX_TITLE_LENGTH } from './domain/items.ts';

export const Item = T.Object({ id: T.String(), title: T.String(), createdAt: T.String({ format: 'date-time' }) });

export const ${camel}Contract = defineContract({
  service: '${service}',
  rpc: {
    /** A new item; a retry with the same idempotency key answers the first item. */
    createItem: rpc({ request: T.Object({ title: T.String({ minLength: 1, maxLength: MAX_TITLE_LENGTH }) }), response: Item, idempotent: true }),
    getItem: rpc({ request: T.Object({ itemId: T.String() }), response: Item, errors: ['not_found'] }),
    /** Every item, newest first. */
    listItems: rpc({ request: T.Object({ ...PageRequest }), response: Page(Item) }),
  },
  events: {
    ItemCreated: event({ data: T.Object({ itemId: T.String(), title: T.String(), createdAt: T.String({ format: 'date-time' }) }) }),
  },
});
`,
  );

  files.set(
    'src/domain/items.ts',
    `/** The rules of an item, pure (no I/O, no chassis): what a title may be. */
export const MAX_TITLE_LENGTH = 200;

/** A title is shown to people: not blank, no control characters (PostgreSQL refuses NUL); kept trimmed. */
export function checkTitle(title: string): { title: string } | { problem: string } {
  const trimmed = title.trim();
  if (trimmed.length === 0) return { problem: 'must not be blank' };
  if (/[\\u0000-\\u001f\\u007f]/.test(trimmed)) return { problem: 'must not contain control characters' };
  return { title: trimmed };
}
`,
  );

  files.set(
    'src/store.ts',
    `/** ${service}'s SQL. */
import type { Queryable } from '@simplebank/chassis';

export interface ItemRow {
  id: string;
  seq: string;
  title: string;
  createdAt: Date;
}

type Raw = { id: string; seq: string; title: string; created_at: Date };
const toRow = (r: Raw): ItemRow => ({ id: r.id, seq: r.seq, title: r.title, createdAt: r.created_at });

export async function insertItem(tx: Queryable, item: { id: string; title: string }): Promise<ItemRow> {
  const { rows } = await tx.query<Raw>('INSERT INTO items (id, title) VALUES ($1, $2) RETURNING id::text, seq::text, title, created_at', [item.id, item.title]);
  return toRow(rows[0]!);
}

export async function findItem(db: Queryable, id: string): Promise<ItemRow | undefined> {
  const { rows } = await db.query<Raw>('SELECT id::text, seq::text, title, created_at FROM items WHERE id = $1', [id]);
  return rows[0] ? toRow(rows[0]) : undefined;
}

/** Up to \`limit\` items, newest first, before position \`beforeSeq\` (exclusive) when given. */
export async function listItems(db: Queryable, q: { beforeSeq?: bigint; limit: number }): Promise<ItemRow[]> {
  const { rows } = await db.query<Raw>(
    'SELECT id::text, seq::text, title, created_at FROM items WHERE ($1::bigint IS NULL OR seq < $1::bigint) ORDER BY seq DESC LIMIT $2',
    [q.beforeSeq?.toString() ?? null, q.limit],
  );
  return rows.map(toRow);
}
`,
  );

  files.set(
    'migrations/001_items.sql',
    `-- ${service}'s items. \`seq\` orders them (newest first) and is the pagination cursor.
CREATE TABLE items (
  id         uuid PRIMARY KEY,
  seq        bigserial NOT NULL UNIQUE,
  title      text NOT NULL CHECK (length(btrim(title)) > 0),
  created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
`,
  );

  files.set(
    'src/settings.ts',
    `import { defineSettings, env } from '@simplebank/chassis';

export const ${camel}Settings = defineSettings({
  /** How many items listItems answers when the caller gives no limit. */
  ${env}_PAGE_SIZE: env.integer({ default: 50, min: 1, max: 100 }),
});
`,
  );

  files.set(
    'src/service.ts',
    `/** ${service}: its RPC handlers over its own database (scaffolded by npm run new:service). */
import { randomUUID } from 'node:crypto';
import { NotFoundError, ValidationError, defineService, seqCursor } from '@simplebank/chassis';
import { ${camel}Contract } from './contract.ts';
import { checkTitle } from './domain/items.ts';
import { ${camel}Settings } from './settings.ts';
import * as store from './store.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Pages of items, newest first. */
const cursor = seqCursor();

const toItem = (row: store.ItemRow) => ({ id: row.id, title: row.title, createdAt: row.createdAt.toISOString() });

export const ${camel}Service = defineService({
  contract: ${camel}Contract,
  migrations: new URL('../migrations', import.meta.url),
  settings: [${camel}Settings],
  rpc: {
    async createItem(req, ctx) {
      const checked = checkTitle(req.title);
      if ('problem' in checked) throw new ValidationError('The item is not valid', [{ path: '/title', message: checked.problem }]);
      // The row and its event commit together (the outbox): no item without its ItemCreated.
      return ctx.transaction(async (tx) => {
        const item = toItem(await store.insertItem(tx, { id: randomUUID(), title: checked.title }));
        await tx.publish(${camel}Contract.events.ItemCreated, { itemId: item.id, title: item.title, createdAt: item.createdAt }, { key: item.id });
        return item;
      });
    },

    async getItem(req, ctx) {
      const row = UUID.test(req.itemId) ? await store.findItem(ctx.db, req.itemId) : undefined;
      if (!row) throw new NotFoundError(\`Item \${req.itemId} not found\`);
      return toItem(row);
    },

    async listItems(req, ctx) {
      const limit = req.limit ?? ${camel}Settings.value.${env}_PAGE_SIZE;
      const rows = await store.listItems(ctx.db, { ...(req.cursor !== undefined ? { beforeSeq: cursor.decode(req.cursor) } : {}), limit: limit + 1 });
      const page = rows.slice(0, limit);
      return { items: page.map(toItem), nextCursor: rows.length > limit ? cursor.encode(page[page.length - 1]!.seq) : null };
    },
  },
});
`,
  );

  files.set(
    'src/main.ts',
    `/** The ${service} service in its own process (distributed mode): see runServiceProcess. */
import { runServiceProcess } from '@simplebank/chassis/rabbitmq';
import { ${camel}Service } from './service.ts';

await runServiceProcess(${camel}Service);
`,
  );

  files.set(
    `test/${service}.test.ts`,
    `/** ${service} against real PostgreSQL (npm test starts one), through its contract. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AppError } from '@simplebank/chassis';
import { startTestService, type TestService } from '@simplebank/chassis/testing';
import { ${camel}Contract } from '../src/contract.ts';
import { ${camel}Service } from '../src/service.ts';

const someone = { customerId: 'c-1', role: 'customer' as const };
const refused = (code: string) => (e: unknown) => e instanceof AppError && e.code === code;

describe('${service}', () => {
  let svc: TestService;
  let keys = 0;
  const create = (title: string, idempotencyKey = \`k-\${++keys}\`) => svc.callAs(someone)(${camel}Contract, 'createItem', { title }, { idempotencyKey });

  before(async () => {
    svc = await startTestService(${camel}Service);
  });
  after(async () => {
    await svc?.stop();
  });

  it('creates an item, trimmed, and reads it back; ItemCreated is in the outbox with it', async () => {
    const item = await create('  First  ');
    assert.equal(item.title, 'First');
    assert.deepEqual(await svc.callAs(someone)(${camel}Contract, 'getItem', { itemId: item.id }), item);
    const { rows } = await svc.database.db.query<{ body: string }>('SELECT body FROM chassis_outbox WHERE destination = $1', ['${service}.ItemCreated.v1']);
    assert.deepEqual(rows.map((r) => JSON.parse(r.body).data).filter((d) => d.itemId === item.id), [{ itemId: item.id, title: 'First', createdAt: item.createdAt }]);
  });

  it('answers a retry with the same idempotency key with the same item', async () => {
    assert.deepEqual(await create('Once', 'retry-1'), await create('Once', 'retry-1'));
  });

  it('refuses a blank title and answers not_found for an unknown item', async () => {
    await assert.rejects(create('   '), refused('validation_failed'));
    await assert.rejects(svc.callAs(someone)(${camel}Contract, 'getItem', { itemId: 'nope' }), refused('not_found'));
  });

  it('lists items newest first, in pages', async () => {
    const made = [await create('A'), await create('B'), await create('C')].map((i) => i.id).reverse();
    const first = await svc.callAs(someone)(${camel}Contract, 'listItems', { limit: 2 });
    assert.deepEqual(first.items.map((i) => i.id), made.slice(0, 2));
    const second = await svc.callAs(someone)(${camel}Contract, 'listItems', { limit: 2, cursor: first.nextCursor! });
    assert.equal(second.items[0]!.id, made[2]);
  });
});
`,
  );
  return files;
}
