/**
 * market: a placement given up (exchange_unavailable) after calls that timed out may still have
 * reached the exchange; market cancels it there by client order id, so it never fills.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, type TestSystem } from '@simplebank/chassis/testing';
import { startExchangeSystem, type ExchangeSystem } from './exchange-system.ts';

describe('market: a placement with unknown outcome', () => {
  let system: TestSystem;
  let types: ExchangeSystem['types'];
  let place: ExchangeSystem['place'];
  let settings: ExchangeSystem['settings'];

  /** The exchange's order for our client order id (its own book), if any arrived. */
  async function exchangeOrder(clientOrderId: string): Promise<{ id: string; status: string } | undefined> {
    const { rows } = await system.databases
      .get('exchange')!
      .db.query<{ id: string; status: string }>('SELECT id, status FROM exchange_orders WHERE client_order_id = $1', [
        clientOrderId,
      ]);
    return rows[0];
  }
  const job = async (orderId: string) =>
    (
      await system.databases
        .get('market')!
        .db.query<{ status: string; followup: string | null; placement_unknown: boolean }>(
          'SELECT status, followup, placement_unknown FROM exchange_jobs WHERE order_id = $1',
          [orderId],
        )
    ).rows[0];

  before(async () => {
    ({ system, types, place, settings } = await startExchangeSystem());
  });
  after(async () => {
    await system.stop({ drop: true });
  });

  it('gives up after timeouts (exchange_unavailable), then cancels the order the exchange accepted late: it ends canceled, not filled', async () => {
    // Slower than EXCHANGE_TIMEOUT_MS; a long fill delay: whatever arrives stays open until canceled.
    assert.equal((await settings({ latencyMs: 1500, fillDelayMs: 600_000 })).status, 200);
    let orderId: string;
    try {
      orderId = await place(800);
      await eventually(async () => (await types(orderId)).length > 0, { timeoutMs: 20_000 });
      assert.deepEqual(await types(orderId), [{ type: 'OrderPlacementFailed', reason: 'exchange_unavailable' }]);
      const failed = await job(orderId);
      assert.equal(failed!.status, 'failed');
      assert.equal(failed!.placement_unknown, true);
    } finally {
      assert.equal((await settings({ latencyMs: 0 })).status, 200);
    }
    // The follow-up is done, and the exchange's order for that client id (arrived late) is canceled.
    await eventually(async () => (await job(orderId))?.followup === null, {
      timeoutMs: 20_000,
      message: 'the cancel follow-up finishes',
    });
    const order = await eventually(
      async () => {
        const o = await exchangeOrder(orderId);
        return o && o.status !== 'open' ? o : undefined;
      },
      { timeoutMs: 20_000, message: 'the late order is canceled on the exchange' },
    );
    assert.equal(order.status, 'canceled');
    assert.equal((await job(orderId))!.status, 'failed');
    assert.deepEqual(
      await types(orderId),
      [{ type: 'OrderPlacementFailed', reason: 'exchange_unavailable' }],
      'no fill published',
    );
  });
});
