/** Client-side adaptive throttling: a method its target refuses for load is partly refused by the caller. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AppError, MemoryTransport, T, caller, defineContract, rpc, type Envelope } from '../src/index.ts';
import { THROTTLE_WINDOW_MS, Throttle, throttles } from '../src/resilience/throttle.ts';

describe('Throttle', () => {
  it('refuses nothing while the target accepts everything', () => {
    const t = new Throttle(
      () => 1_000_000,
      () => 0,
    );
    for (let i = 0; i < 100; i++) {
      assert.equal(t.admit(), true);
      t.answered(false);
    }
  });

  it('refuses with probability (requests − 2 × accepts) / (requests + 1), and forgets after its window', () => {
    let now = 1_000_000;
    let draw = 0;
    const t = new Throttle(
      () => now,
      () => draw,
    );
    for (let i = 0; i < 20; i++) t.answered(true);
    for (let i = 0; i < 10; i++) t.answered(false);
    // (30 − 20) / 31 ≈ 0.32
    draw = 0.33;
    assert.equal(t.admit(), true);
    draw = 0.31;
    assert.equal(t.admit(), false, 'refused here');
    now += THROTTLE_WINDOW_MS;
    draw = 0;
    assert.equal(t.admit(), true, 'a window later the refusals are forgotten');
  });
});

describe('RPC calls to a method refused for load', () => {
  const contract = defineContract({
    service: 'busy',
    rpc: {
      take: rpc({ request: T.Object({ n: T.Number() }), response: T.Object({ n: T.Number() }) }),
      look: rpc({ request: T.Object({ n: T.Number() }), response: T.Object({ n: T.Number() }) }),
    },
  });
  const transport = new MemoryTransport();
  let refusing = true;
  const seen = { take: 0, look: 0 };

  before(async () => {
    await transport.connect();
    await transport.serve(
      'busy',
      async (body) => {
        const env = JSON.parse(body) as Envelope<{ n: number }>;
        const method = env.type === 'busy.take' ? 'take' : 'look';
        seen[method]++;
        if (method === 'take' && refusing)
          return JSON.stringify({
            ok: false,
            error: { code: 'overloaded', status: 503, message: 'at capacity', retryable: true },
          });
        return JSON.stringify({ ok: true, data: { n: env.data.n } });
      },
      { concurrency: 4 },
    );
  });
  after(() => transport.close());

  async function outcome(call: ReturnType<typeof caller>, method: 'take' | 'look', n: number): Promise<string> {
    try {
      await call(contract, method, { n });
      return 'ok';
    } catch (err) {
      return (err as AppError).code;
    }
  }

  it('are partly refused by the caller, each as `overloaded`; other methods are not; calls go through again once it accepts', async () => {
    const call = caller(transport, 'client', () => undefined);
    const outcomes: string[] = [];
    for (let n = 0; n < 200; n++) outcomes.push(await outcome(call, 'take', n));
    assert.deepEqual([...new Set(outcomes)], ['overloaded'], 'every call is refused, by the target or by the caller');
    assert.ok(seen.take < 150, `the caller refused some itself (${seen.take} of 200 reached the target)`);
    assert.ok(seen.take > 0);

    for (let n = 0; n < 20; n++) assert.equal(await outcome(call, 'look', n), 'ok');
    assert.equal(seen.look, 20, 'another method of the same target is not throttled');

    refusing = false;
    await new Promise((resolve) => setTimeout(resolve, THROTTLE_WINDOW_MS + 50));
    const before = seen.take;
    for (let n = 0; n < 20; n++) assert.equal(await outcome(call, 'take', n), 'ok');
    assert.equal(seen.take - before, 20);
  });

  it('are no longer refused by a caller that stopped and forgot its throttles (a service started again)', async () => {
    refusing = true;
    const call = caller(transport, 'restarted', () => undefined);
    for (let n = 0; n < 50; n++) await outcome(call, 'take', n);
    refusing = false;
    throttles.forget('restarted');
    const before = seen.take;
    for (let n = 0; n < 5; n++) assert.equal(await outcome(call, 'take', n), 'ok');
    assert.equal(seen.take - before, 5, 'every call reached the target at once');
  });
});
