/**
 * handlerContext(): one handler at a time, with no PostgreSQL and no transport — what it publishes,
 * sends and calls is recorded, its calls answered by stubs, its SQL by the test.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AppError,
  BusinessRuleError,
  SagaFailure,
  T,
  ValidationError,
  command,
  defineContract,
  defineSaga,
  defineService,
  done,
  event,
  on,
  rpc,
  waitFor,
  type Tx,
} from '../src/index.ts';
import { handlerContext, stub } from '../src/testing/index.ts';
import { auditContract, auditService, ledgerContract, ledgerService } from './fixtures/services.ts';

/** A service that pays through the ledger, tells audit, and begins a saga: every kind of I/O a handler has. */
const shopContract = defineContract({
  service: 'shop',
  rpc: {
    buy: rpc({
      request: T.Object({ account: T.String(), cents: T.Integer({ minimum: 1 }) }),
      response: T.Object({ entryId: T.String() }),
      errors: ['insufficient_funds'],
      idempotent: true,
    }),
  },
  events: { Bought: event({ data: T.Object({ account: T.String(), entryId: T.String() }) }) },
  commands: { Ship: command({ data: T.Object({ account: T.String() }) }) },
});

interface ShipData {
  account: string;
  entryId?: string;
}

const shipSaga = defineSaga<ShipData>({
  name: 'Ship',
  steps: [
    {
      name: 'charge',
      async action(ctx) {
        try {
          const { entryId } = await ctx.call(
            ledgerContract,
            'post',
            { account: ctx.data.account, cents: -100 },
            { idempotencyKey: ctx.stepKey },
          );
          return done({ entryId });
        } catch (err) {
          if (err instanceof AppError && err.code === 'insufficient_funds')
            throw new SagaFailure(err.code, err.message);
          throw err;
        }
      },
      async compensate(ctx) {
        await ctx.call(
          ledgerContract,
          'post',
          { account: ctx.data.account, cents: 100 },
          { idempotencyKey: ctx.stepKey },
        );
      },
    },
    {
      name: 'ship',
      async action(ctx) {
        if (ctx.wakeUp.kind === 'start') {
          await ctx.tx.send(shopContract.commands.Ship, { account: ctx.data.account }, { key: ctx.data.account });
          return waitFor(['shipped'], { timeoutMs: 60_000 });
        }
        if (ctx.wakeUp.kind === 'timeout') {
          await ctx.tx.send(auditContract.commands.Archive, { note: `lost parcel of ${ctx.data.account}` });
          throw new SagaFailure('lost', 'The parcel was lost');
        }
        return done();
      },
    },
  ],
});

const shopService = defineService({
  contract: shopContract,
  sagas: [shipSaga],
  rpc: {
    async buy(req, ctx) {
      const { entryId } = await ctx.call(
        ledgerContract,
        'post',
        { account: req.account, cents: -req.cents },
        { idempotencyKey: `${ctx.idempotencyKey}:post` },
      );
      return ctx.transaction(async (tx) => {
        await tx.query('INSERT INTO purchases (account, entry_id) VALUES ($1, $2)', [req.account, entryId]);
        await tx.publish(shopContract.events.Bought, { account: req.account, entryId }, { key: req.account });
        await ctx.sagas.begin(tx, shipSaga, { data: { account: req.account, entryId }, cause: ctx.cause });
        if (req.account === 'rollback') throw new Error('the commit failed');
        return { entryId };
      });
    },
  },
  handlers: [
    on(
      ledgerContract.events.Posted,
      async (data, ctx) => {
        await ctx.tx.send(auditContract.commands.Archive, { note: `${data.account} ${data.cents}` });
        if (data.cents === 0) throw new BusinessRuleError('zero', 'nothing posted');
      },
      { when: (data) => data.account !== 'ignored' },
    ),
  ],
});

describe('handlerContext', () => {
  it('runs an RPC method: its SQL answered by the test, its event recorded once the transaction commits', async () => {
    const balances: Record<string, number> = { ann: 300 };
    const h = handlerContext({
      service: ledgerService,
      query: (sql, params) => {
        if (sql.startsWith('SELECT coalesce')) return [{ balance: String(balances[params[0] as string] ?? 0) }];
        if (sql.startsWith('INSERT INTO entries')) return [{ id: 'e-1' }];
        throw new Error(`unexpected SQL ${sql}`);
      },
    });
    assert.deepEqual(await h.callRpc('post', { account: 'ann', cents: 200 }), { entryId: 'e-1', balance: 500 });
    assert.deepEqual(h.publishedOf(ledgerContract.events.Posted), [{ entryId: 'e-1', account: 'ann', cents: 200 }]);
    assert.equal(h.published[0]!.key, 'ann');
    assert.equal(h.published[0]!.envelope.source, 'ledger');
    assert.deepEqual(
      h.queries.map((q) => q.params),
      [['ann'], ['ann', 200]],
    );

    // A refusal rolls the transaction back: nothing published.
    h.reset();
    await assert.rejects(
      h.callRpc('post', { account: 'bob', cents: -1 }),
      (e: unknown) => e instanceof AppError && e.code === 'insufficient_funds',
    );
    assert.deepEqual(h.published, []);
    assert.equal(h.rolledBack, 1);
    // A request outside the contract is refused as the endpoint would.
    await assert.rejects(h.callRpc('post', { account: '', cents: 1 }), ValidationError);
  });

  it('fails a query the test did not answer, naming its SQL', async () => {
    const h = handlerContext({ service: ledgerService });
    await assert.rejects(h.callRpc('balance', { account: 'ann' }), /no `query` to answer it: SELECT coalesce/);
  });

  it('handles an event as the consumer would: schema checked, `when` applied, one transaction', async () => {
    const h = handlerContext({ service: shopService });
    assert.equal(await h.handle(ledgerContract.events.Posted, { entryId: 'e', account: 'ann', cents: 5 }), 'handled');
    assert.deepEqual(h.sentOf(auditContract.commands.Archive), [{ note: 'ann 5' }]);
    assert.equal(h.sent[0]!.envelope.source, 'shop');
    assert.equal(
      await h.handle(ledgerContract.events.Posted, { entryId: 'e', account: 'ignored', cents: 5 }),
      'skipped',
    );
    assert.equal(h.sent.length, 1);
    // A failing handler's sends roll back with it.
    await assert.rejects(
      h.handle(ledgerContract.events.Posted, { entryId: 'e', account: 'cy', cents: 0 }),
      (e: unknown) => e instanceof AppError && e.code === 'zero',
    );
    assert.equal(h.sent.length, 1);
    // Data outside the schema would be dead-lettered: refused.
    await assert.rejects(
      h.handle(ledgerContract.events.Posted, { entryId: 'e', account: 'ann' } as never),
      ValidationError,
    );
  });

  it('handles a command with its SQL recorded (audit, on its definition)', async () => {
    const h = handlerContext({ service: auditService, query: () => undefined });
    await h.handle(auditContract.commands.Archive, { note: 'hello' });
    assert.deepEqual(h.queries, [{ sql: 'INSERT INTO archive (note) VALUES ($1)', params: ['hello'] }]);
  });

  it('answers calls with stubs checked against the contract, and records them; errors cross as on the wire', async () => {
    const h = handlerContext({
      service: shopService,
      query: () => undefined,
      stubs: [
        stub(ledgerContract, {
          post: (req) => {
            if (req.account === 'poor') throw new BusinessRuleError('insufficient_funds', 'Not enough money');
            return { entryId: `e-${req.account}`, balance: 0 };
          },
        }),
      ],
    });
    assert.deepEqual(await h.callRpc('buy', { account: 'ann', cents: 100 }, { idempotencyKey: 'k1' }), {
      entryId: 'e-ann',
    });
    assert.deepEqual(h.callsTo(ledgerContract, 'post'), [{ account: 'ann', cents: -100 }]);
    assert.equal(h.calls[0]!.idempotencyKey, 'k1:post');
    assert.deepEqual(h.publishedOf(shopContract.events.Bought), [{ account: 'ann', entryId: 'e-ann' }]);
    assert.deepEqual(
      h.sagas.map((s) => s.op === 'begin' && [s.saga, s.data]),
      [['Ship', { account: 'ann', entryId: 'e-ann' }]],
    );

    await assert.rejects(
      h.callRpc('buy', { account: 'poor', cents: 100 }),
      (e: unknown) => e instanceof AppError && e.code === 'insufficient_funds' && e.status === 422,
    );
    assert.equal(h.calls[1]!.outcome.ok, false);
    // Rolled back: no event, no saga.
    await assert.rejects(h.callRpc('buy', { account: 'rollback', cents: 1 }), /the commit failed/);
    assert.equal(h.published.length, 1);
    assert.equal(h.sagas.length, 1);
  });

  it('fails a call to a service with no stub as no_route, and a stub answering outside the contract as a bad reply', async () => {
    const none = handlerContext({ service: shopService });
    await assert.rejects(
      none.callRpc('buy', { account: 'ann', cents: 1 }),
      (e: unknown) => e instanceof AppError && e.code === 'no_route' && /no stub of ledger/.test(e.message),
    );
    const bad = handlerContext({
      service: shopService,
      stubs: [stub(ledgerContract, { post: () => ({ entryId: 'e' }) as never })],
    });
    await assert.rejects(
      bad.callRpc('buy', { account: 'ann', cents: 1 }),
      (e: unknown) => e instanceof AppError && e.code === 'contract_violation',
    );
    const missing = handlerContext({ service: shopService, stubs: [stub(ledgerContract, {})] });
    await assert.rejects(
      missing.callRpc('buy', { account: 'ann', cents: 1 }),
      (e: unknown) => e instanceof AppError && e.code === 'not_implemented_in_stub',
    );
  });

  it('refuses to publish an event of another service, as the outbox does', async () => {
    const h = handlerContext({ service: 'shop' });
    const ctx = h.rpcContext();
    await assert.rejects(
      ctx.transaction((tx: Tx) => tx.publish(ledgerContract.events.Posted, { entryId: 'e', account: 'a', cents: 1 })),
      /shop cannot publish ledger.Posted.v1/,
    );
  });

  it('runs a saga step action and compensation with its step key; a failing step rolls back what it sent', async () => {
    const h = handlerContext({
      service: 'shop',
      stubs: [
        stub(ledgerContract, {
          post: (req) =>
            req.account === 'poor'
              ? Promise.reject(new BusinessRuleError('insufficient_funds', 'no'))
              : { entryId: 'e-7', balance: 1 },
        }),
      ],
    });
    assert.deepEqual(
      await h.runStep(shipSaga, 'charge', { sagaId: 's1', data: { account: 'ann' } }),
      done({ entryId: 'e-7' }),
    );
    assert.equal(h.calls[0]!.idempotencyKey, 's1:charge');
    await assert.rejects(
      h.runStep(shipSaga, 'charge', { data: { account: 'poor' } }),
      (e: unknown) => e instanceof SagaFailure && e.code === 'insufficient_funds',
    );
    await h.compensateStep(shipSaga, 'charge', {
      sagaId: 's1',
      data: { account: 'ann', entryId: 'e-7' },
      failure: { code: 'lost', message: 'lost' },
    });
    assert.equal(h.calls.at(-1)!.idempotencyKey, 's1:charge:compensate');
    assert.deepEqual(
      h.callsTo(ledgerContract, 'post').map((r) => r.cents),
      [-100, -100, 100],
    );

    assert.deepEqual(
      await h.runStep(shipSaga, 'ship', { data: { account: 'ann' } }),
      waitFor(['shipped'], { timeoutMs: 60_000 }),
    );
    assert.deepEqual(h.sentOf(shopContract.commands.Ship), [{ account: 'ann' }]);
    await assert.rejects(
      h.runStep(shipSaga, 'ship', { data: { account: 'ann' }, wakeUp: { kind: 'timeout' } }),
      SagaFailure,
    );
    assert.deepEqual(h.sentOf(auditContract.commands.Archive), [], 'rolled back with the failing step');
    assert.deepEqual(
      await h.runStep(shipSaga, 'ship', {
        data: { account: 'ann' },
        wakeUp: { kind: 'signal', name: 'shipped', payload: {} },
      }),
      done(),
    );
  });
});
