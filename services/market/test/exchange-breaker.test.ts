/** market's exchange breaker and call policy, with the real exchange failing or slow (one runtime). */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { systemContract } from '@simplebank/chassis';
import { eventually, type TestSystem } from '@simplebank/chassis/testing';
import { startExchangeSystem, type ExchangeSystem } from './exchange-system.ts';
import { marketContract } from '../src/contract.ts';

describe('market: the exchange breaker and call policy', () => {
  let system: TestSystem;
  let types: ExchangeSystem['types'];
  let place: ExchangeSystem['place'];
  let settings: ExchangeSystem['settings'];

  async function gauge(): Promise<number | undefined> {
    const body = (await system.runtime.metrics.render()).body;
    const m = /simplebank_circuit_breaker_state\{service="market",target="exchange"\} ([\d.]+)/.exec(body);
    return m ? Number(m[1]) : undefined;
  }
  async function ready(): Promise<{
    status: number;
    body: { checks: Array<{ name: string; ready: boolean; detail?: string }> };
  }> {
    const res = await fetch(`${system.runtime.address}/health/ready`);
    return { status: res.status, body: (await res.json()) as any };
  }
  const unfinished = async () =>
    (
      await system.databases
        .get('market')!
        .db.query(`SELECT order_id FROM exchange_jobs WHERE status IN ('pending', 'placed')`)
    ).rows.length;

  before(async () => {
    ({ system, types, place, settings } = await startExchangeSystem());
  });
  after(async () => {
    await system.stop({ drop: true });
  });

  it('with the exchange failing the breaker opens (metric 1, readiness names it), orders fail exchange_unavailable; after recovery it closes and orders fill', async () => {
    const warmup = await place(30_000);
    await eventually(async () => (await types(warmup)).some((e) => e.type === 'OrderFilledOnExchange'));
    assert.equal(await gauge(), 0);

    assert.equal((await settings({ failureRate: 1 })).status, 200);
    const failing = await Promise.all([place(2000), place(2000), place(2000)]);
    await eventually(
      async () => {
        const [g, r] = await Promise.all([gauge(), ready()]);
        const check = r.body.checks.find((c) => c.name === 'market:breaker:exchange');
        return g === 1 && r.status === 503 && check?.ready === false && check.detail === 'exchange breaker open';
      },
      { message: 'the exchange breaker opens: metric 1 and /health/ready says so' },
    );
    for (const orderId of failing) {
      await eventually(async () => (await types(orderId)).length > 0);
      assert.deepEqual(await types(orderId), [{ type: 'OrderPlacementFailed', reason: 'exchange_unavailable' }]);
    }

    assert.equal((await settings({ failureRate: 0 })).status, 200);
    const recovered = await place(30_000);
    await eventually(async () => (await types(recovered)).some((e) => e.type === 'OrderFilledOnExchange'));
    assert.deepEqual(
      (await types(recovered)).map((e) => e.type),
      ['OrderPlacedOnExchange', 'OrderFilledOnExchange'],
    );
    await eventually(async () => (await gauge()) === 0);
    const r = await ready();
    assert.equal(r.body.checks.find((c) => c.name === 'market:breaker:exchange')?.ready, true);
  });

  it('an operator forces the breaker open (nothing is sent, the order waits) and gives it back (the order is placed)', async () => {
    const sys = systemContract('market');
    assert.deepEqual(await system.call(sys, '_breaker', { target: 'exchange', state: 'open' }), {
      target: 'exchange',
      state: 'forced-open',
    });
    assert.equal(await gauge(), 1);
    const orderId = await place(30_000);
    await eventually(
      async () =>
        (await system.call(marketContract, 'getExchangeOrder', { orderId }).catch(() => undefined))?.status ===
        'pending',
    );
    assert.equal(
      (await system.call(marketContract, 'getExchangeOrder', { orderId })).attempts,
      0,
      'nothing sent while forced open',
    );
    assert.deepEqual(await system.call(sys, '_breaker', { target: 'exchange', state: 'auto' }), {
      target: 'exchange',
      state: 'closed',
    });
    await eventually(async () => (await types(orderId)).some((e) => e.type === 'OrderFilledOnExchange'));
  });

  it('with the exchange slower than the timeout, calls time out, the placement is retried and ends exchange_unavailable, nothing half-done', async () => {
    assert.equal((await settings({ latencyMs: 3000 })).status, 200);
    try {
      const orderId = await place(2500);
      await eventually(async () => (await types(orderId)).length > 0, { timeoutMs: 20_000 });
      assert.deepEqual(await types(orderId), [{ type: 'OrderPlacementFailed', reason: 'exchange_unavailable' }]);
      const { rows } = await system.databases
        .get('market')!
        .db.query<{ status: string; attempts: number; last_error: string }>(
          'SELECT status, attempts, last_error FROM exchange_jobs WHERE order_id = $1',
          [orderId],
        );
      assert.equal(rows[0]!.status, 'failed');
      assert.ok(rows[0]!.attempts >= 1, 'placement attempted');
      assert.match(rows[0]!.last_error, /timeout|deadline|breaker/);
      assert.equal(await unfinished(), 0, 'no job left pending or placed');
      assert.equal((await types(orderId)).filter((e) => e.type === 'OrderPlacementFailed').length, 1);
    } finally {
      await settings({ latencyMs: 0 });
    }
  });
});
