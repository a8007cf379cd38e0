/**
 * A job's turn holds no transaction while market talks to the exchange (issue 8): what happens to
 * a cancel, or to a turn that never records, while a call is in flight. The exchange answers after
 * two seconds here, so the test sees each turn in flight; nothing is asserted about time.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually } from '@simplebank/chassis/testing';
import { marketContract } from '../src/contract.ts';
import { startExchangeSystem, type ExchangeSystem } from './exchange-system.ts';

// Read when the system starts: a timeout well past the exchange's latency, and no follow-up polls.
process.env.EXCHANGE_TIMEOUT_MS = '10000';
process.env.EXCHANGE_POLL_MS = '600000';

describe('market: a turn in flight', () => {
  let x: ExchangeSystem;
  const db = () => x.system.databases.get('market')!.db;
  const types = async (orderId: string) => (await x.types(orderId)).map((e) => e.type);
  const jobOf = (orderId: string) => x.system.call(marketContract, 'getExchangeOrder', { orderId });
  async function inFlight(orderId: string): Promise<{ turn: number }> {
    return eventually(
      async () => {
        const { rows } = await db().query<{ turn: number; in_turn: boolean }>(
          'SELECT turn, in_turn FROM exchange_jobs WHERE order_id = $1',
          [orderId],
        );
        return rows[0]?.in_turn ? { turn: rows[0].turn } : undefined;
      },
      { message: 'the placement turn in flight' },
    );
  }

  before(async () => {
    x = await startExchangeSystem();
    // Closed: orders are accepted, never filled. Two seconds per call: each turn is seen in flight.
    assert.equal((await x.settings({ open: false, latencyMs: 2000, failureRate: 0 })).status, 200);
  });
  after(async () => {
    await x.system.stop({ drop: true });
  });

  it('a cancel during the placement call is kept: the order is placed, then canceled on the exchange', async () => {
    const orderId = await x.place(60_000);
    await inFlight(orderId);
    await x.cancel(orderId, 'canceled_by_customer');
    await eventually(async () => (await types(orderId)).includes('OrderCanceledOnExchange'), { timeoutMs: 30_000 });
    assert.deepEqual(await types(orderId), ['OrderPlacedOnExchange', 'OrderCanceledOnExchange']);
    const job = await jobOf(orderId);
    assert.equal(job.status, 'canceled');
    assert.equal((await x.exchangeOrder(job.exchangeOrderId!)).status, 'canceled');
  });

  it('a turn taken over while in flight (as after a crash) drops its outcome; the next turn finds the same exchange order', async () => {
    const orderId = await x.place(60_000);
    const { turn } = await inFlight(orderId);
    // Another worker's claim, as when this turn's claim ran out: the first turn may no longer record.
    await db().query(
      'UPDATE exchange_jobs SET turn = turn + 1, next_attempt_at = clock_timestamp() WHERE order_id = $1 AND turn = $2',
      [orderId, turn],
    );
    await eventually(async () => (await jobOf(orderId)).status === 'placed', { timeoutMs: 30_000 });
    const job = await jobOf(orderId);
    const { rows } = await db().query<{ placement_unknown: boolean; turn: number }>(
      'SELECT placement_unknown, turn FROM exchange_jobs WHERE order_id = $1',
      [orderId],
    );
    // Claimed again with the first turn unrecorded: the placement counted as unknown, placed once more.
    assert.equal(rows[0]!.placement_unknown, true);
    assert.equal(rows[0]!.turn, turn + 2);
    assert.deepEqual(await types(orderId), ['OrderPlacedOnExchange']);
    // The exchange answered the repeated placement with the order it holds under our client order id.
    const onExchange = await x.exchangeOrder(job.exchangeOrderId!);
    assert.equal(onExchange.clientOrderId, orderId);
    assert.equal(onExchange.status, 'open');
  });
});
