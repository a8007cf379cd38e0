import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { T, defineContract, event, newEnvelope, on } from '../src/index.ts';
import { handleMessage, type ConsumerOptions } from '../src/runtime/consumer.ts';

const Changed = defineContract({
  service: 'shop',
  events: { Changed: event({ data: T.Object({ status: T.String() }) }) },
}).events.Changed;

describe('a handler with `when`', () => {
  it('acknowledges a message it is not concerned with without touching the database, and handles the others', async () => {
    const handled: string[] = [];
    const def = on(Changed, async (data) => void handled.push(data.status), {
      when: (data) => data.status === 'filled',
    });
    let transactions = 0;
    const options = {
      service: 'notes',
      db: { transaction: async () => void transactions++ },
      context: () => {
        throw new Error('no context for a skipped message');
      },
    } as unknown as ConsumerOptions;
    const body = (status: string) =>
      JSON.stringify(newEnvelope({ type: Changed.type, version: 1, source: 'shop', data: { status } }));
    assert.deepEqual(await handleMessage(def, body('pending'), options), { outcome: 'skipped' });
    assert.equal(transactions, 0);
    assert.deepEqual(handled, []);
    await handleMessage(def, body('filled'), options);
    assert.equal(transactions, 1, 'a message it is concerned with goes through the inbox transaction');
  });
});
