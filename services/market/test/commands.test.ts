/**
 * market's command handlers one at a time (handlerContext: no PostgreSQL, no transport): the job
 * table is a map the test's `query` answers from, what the handler publishes is recorded on commit.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Row } from '@simplebank/chassis';
import { handlerContext } from '@simplebank/chassis/testing';
import { marketContract } from '../src/contract.ts';
import { marketService } from '../src/service.ts';
import { onWake } from '../src/wake.ts';

type Job = {
  order_id: string;
  status: string;
  cancel_reason: string | null;
  failure_reason?: string;
  correlation_id: string;
};

/** exchange_jobs as a map, answering the statements of store.ts the command handlers use. */
function jobsTable(jobs = new Map<string, Job>()) {
  const updates: Array<{ orderId: string; sql: string; values: unknown[] }> = [];
  const query = (sql: string, params: readonly unknown[]): Row[] | { rows: Row[]; rowCount: number } => {
    const orderId = params[0] as string;
    if (sql.startsWith('INSERT INTO exchange_jobs')) {
      if (jobs.has(orderId)) return { rows: [], rowCount: 0 };
      const status = /VALUES \(\$1, 'failed'/.test(sql)
        ? 'failed'
        : /VALUES \(\$1, 'canceled'/.test(sql)
          ? 'canceled'
          : 'pending';
      const correlation = status === 'pending' ? params[6] : params[2];
      jobs.set(orderId, {
        order_id: orderId,
        status,
        cancel_reason: status === 'canceled' ? (params[1] as string) : null,
        correlation_id: String(correlation),
      });
      return { rows: [], rowCount: 1 };
    }
    if (sql.startsWith('SELECT') && sql.includes('FOR UPDATE')) {
      const job = jobs.get(orderId);
      return job ? [{ ...job }] : [];
    }
    if (sql.startsWith('UPDATE exchange_jobs')) {
      updates.push({ orderId, sql, values: params.slice(1) });
      const job = jobs.get(orderId)!;
      if (/status = \$2/.test(sql)) job.status = params[1] as string;
      return { rows: [], rowCount: 1 };
    }
    throw new Error(`unexpected SQL: ${sql}`);
  };
  return { jobs, updates, query };
}

const placement = (o: Partial<{ orderId: string; quantity: string; limitPrice: string }> = {}) => ({
  orderId: 'o-1',
  assetId: 'XYZ',
  side: 'buy' as const,
  quantity: '2',
  limitPrice: '10.00',
  placeBy: new Date(Date.now() + 30_000).toISOString(),
  ...o,
});

describe('market command handlers', () => {
  it('PlaceOrderOnExchange: a job for the worker (woken after the commit), once; a zero quantity refused at once, once', async () => {
    const table = jobsTable();
    const h = handlerContext({ service: marketService, query: table.query });
    let woken = 0;
    const off = onWake(() => woken++);
    try {
      await h.handle(marketContract.commands.PlaceOrderOnExchange, placement(), { source: 'orders' });
      assert.equal(table.jobs.get('o-1')?.status, 'pending');
      assert.equal(woken, 1);
      await h.handle(marketContract.commands.PlaceOrderOnExchange, placement());
      assert.equal(woken, 1, 'a repeated command changes nothing');

      await h.handle(marketContract.commands.PlaceOrderOnExchange, placement({ orderId: 'o-zero', quantity: '0' }));
      await h.handle(marketContract.commands.PlaceOrderOnExchange, placement({ orderId: 'o-zero', quantity: '0' }));
      assert.equal(table.jobs.get('o-zero')?.status, 'failed');
      assert.deepEqual(
        h.publishedOf(marketContract.events.OrderPlacementFailed).map((e) => [e.orderId, e.reason]),
        [['o-zero', 'exchange_rejected']],
      );
      assert.equal(h.published[0]!.key, 'o-zero');
      assert.deepEqual(h.sent, []);
    } finally {
      off();
    }
  });

  it('CancelOrderOnExchange: before the placement, a pending job, a placed one, a finished one', async () => {
    const table = jobsTable(
      new Map([
        ['o-pending', { order_id: 'o-pending', status: 'pending', cancel_reason: null, correlation_id: 'c' }],
        ['o-placed', { order_id: 'o-placed', status: 'placed', cancel_reason: null, correlation_id: 'c' }],
        ['o-filled', { order_id: 'o-filled', status: 'filled', cancel_reason: null, correlation_id: 'c' }],
      ]),
    );
    const h = handlerContext({ service: marketService, query: table.query });
    const cancel = (orderId: string) =>
      h.handle(marketContract.commands.CancelOrderOnExchange, { orderId, reason: 'canceled_by_customer' });
    const canceled = () =>
      h.publishedOf(marketContract.events.OrderCanceledOnExchange).map((e) => `${e.orderId}:${e.reason}`);

    // No job yet: a canceled one, so the placement that comes later is never made.
    await cancel('o-new');
    assert.deepEqual(table.jobs.get('o-new'), {
      order_id: 'o-new',
      status: 'canceled',
      cancel_reason: 'canceled_by_customer',
      correlation_id: h.published[0]!.envelope.correlationId,
    });
    assert.deepEqual(canceled(), ['o-new:canceled_by_customer']);

    // Pending: never placed, canceled at once.
    await cancel('o-pending');
    assert.equal(table.jobs.get('o-pending')?.status, 'canceled');
    assert.deepEqual(canceled(), ['o-new:canceled_by_customer', 'o-pending:canceled_by_customer']);

    // Placed: the worker cancels it on the exchange; the event comes when the exchange confirms.
    await cancel('o-placed');
    assert.equal(table.jobs.get('o-placed')?.status, 'placed');
    assert.deepEqual(table.updates.find((u) => u.orderId === 'o-placed')?.values[0], 'canceled_by_customer');
    assert.equal(canceled().length, 2);

    // Filled: nothing to do.
    await cancel('o-filled');
    assert.equal(table.updates.filter((u) => u.orderId === 'o-filled').length, 0);
    assert.equal(canceled().length, 2);
  });
});
