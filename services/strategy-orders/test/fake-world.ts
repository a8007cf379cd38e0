/**
 * strategy-orders' collaborators stubbed at their contracts: strategies, accounts, market-data, fees,
 * payments and orders. Payments and orders are idempotent on their keys like the real ones and keep
 * what they did in tables of the test database (not in memory), so that a crash test's child
 * process and the parent that resumes after it see the same payments and orders: "one payment, one
 * order per allocation" is counted there. They publish their events as the real services would:
 * a payment's outcome, and an order's `placed` then its end (filled at the quote, or expired).
 */
import { randomUUID } from 'node:crypto';
import {
  BusinessRuleError,
  NotFoundError,
  newEnvelope,
  type Consumer,
  type Database,
  type Transport,
} from '@simplebank/chassis';
import { stubService } from '@simplebank/chassis/testing';
import { accountsContract } from '@simplebank/accounts/contract';
import { feesContract } from '@simplebank/fees/contract';
import { marketDataContract } from '@simplebank/market-data/contract';
import {
  divideHalfUp,
  formatMoney,
  maxCents,
  minCents,
  notionalRoundedUp,
  notionalTimesRate,
  parseMoney,
  parseQuantity,
  parseRate,
} from '@simplebank/money';
import { ordersContract } from '@simplebank/orders/contract';
import { paymentsContract } from '@simplebank/payments/contract';
import { strategiesContract } from '@simplebank/strategies/contract';

const NOW = '2026-12-06T10:00:00.000Z';
export const DECLINED_CARD = '4000000000000002';

export type FakeOrder = {
  id: string;
  key: string;
  account_id: string;
  asset_id: string;
  quantity: string;
  quote: string;
  limit_price: string;
  fee: string;
  reservation: string;
  investment_id: string;
  source: string;
  caller: string;
  status: string;
  fill_price: string | null;
  calls: number;
};

export type FakePayment = {
  id: string;
  key: string;
  account_id: string;
  customer_id: string;
  amount: string;
  method: string;
  status: 'completed' | 'failed';
  reason: string | null;
  calls: number;
};

export class FakeWorld {
  readonly strategies = new Map<string, { name: string; assets: Array<{ assetId: string; percentage: string }> }>();
  readonly accounts = new Map<string, { ownerId: string; status: 'open' | 'closed' }>();
  readonly prices = new Map<string, string>([
    ['AAA', '100.00'],
    ['BBB', '41.57'],
    ['CCC', '7.00'],
    ['DDD', '999.00'],
  ]);
  /** How the exchange treats each asset's orders (filled at the quote unless said otherwise). */
  readonly outcomes = new Map<string, 'filled' | 'expired'>();
  /** Orders of these accounts are refused by orders (account_closed), as if closed meanwhile. */
  readonly refuseOrdersOf = new Set<string>();
  schedule = { minimum: '1.00', rate: '0.001' };
  /** Publish nothing (a test delivers the news itself, or checks the safety-net polls). */
  silent = false;

  constructor(private readonly db: Database) {}

  async prepare(): Promise<void> {
    await this.db.query(`
      CREATE TABLE IF NOT EXISTS fake_payments (id text PRIMARY KEY, key text UNIQUE NOT NULL, account_id text, customer_id text, amount text, method text, status text, reason text, calls integer NOT NULL DEFAULT 1);
      CREATE TABLE IF NOT EXISTS fake_orders (id text PRIMARY KEY, key text UNIQUE NOT NULL, account_id text, asset_id text, quantity text, quote text, limit_price text, fee text, reservation text,
                                              investment_id text, source text, caller text, status text, fill_price text, calls integer NOT NULL DEFAULT 1)`);
  }

  async payments(): Promise<FakePayment[]> {
    return (await this.db.query<FakePayment>('SELECT * FROM fake_payments ORDER BY id')).rows;
  }

  async orders(investmentId?: string): Promise<FakeOrder[]> {
    return (
      await this.db.query<FakeOrder>(
        'SELECT * FROM fake_orders WHERE $1::text IS NULL OR investment_id = $1 ORDER BY asset_id',
        [investmentId ?? null],
      )
    ).rows;
  }

  /**
   * After a crash: publishes every payment's outcome and every order's latest news again, as an
   * outbox relay resuming would, and follows the orders taken just before it (as orders' own saga
   * would go on).
   */
  async redeliver(t: Transport): Promise<void> {
    for (const p of await this.payments()) await this.publishPayment(t, p);
    for (const o of await this.orders())
      await (o.status === 'pending' ? this.follow(t, o) : this.publishOrder(t, o, o.status));
  }

  private async publish(t: Transport, source: string, type: string, data: unknown, key: string): Promise<void> {
    const envelope = newEnvelope({ type, version: 1, source, data, key });
    await t.publish({ destination: { kind: 'event', type }, messageId: envelope.id, body: JSON.stringify(envelope) });
  }

  private publishPayment(t: Transport, p: FakePayment): Promise<void> {
    const base = {
      paymentId: p.id,
      accountId: p.account_id,
      customerId: p.customer_id,
      kind: 'deposit' as const,
      method: p.method as 'card' | 'bank_transfer',
      amount: p.amount,
    };
    return p.status === 'completed'
      ? this.publish(t, 'payments', paymentsContract.events.PaymentCompleted.type, base, p.id)
      : this.publish(
          t,
          'payments',
          paymentsContract.events.PaymentFailed.type,
          { ...base, reason: p.reason ?? 'card_declined' },
          p.id,
        );
  }

  private publishOrder(t: Transport, o: FakeOrder, status: string): Promise<void> {
    const data = {
      orderId: o.id,
      accountId: o.account_id,
      customerId: 'customer',
      assetId: o.asset_id,
      side: 'buy' as const,
      quantity: o.quantity,
      status,
      reason: status === 'expired' ? 'expired' : null,
      fillPrice: status === 'filled' ? o.fill_price : null,
      fee: o.fee,
      at: new Date().toISOString(),
      source: o.source,
      investmentId: o.investment_id,
    };
    return this.publish(t, 'orders', ordersContract.events.OrderStatusChanged.type, data, o.id);
  }

  /** The news of a new order, a moment after placeOrder answered: placed, then its end. */
  private async follow(t: Transport, o: FakeOrder): Promise<void> {
    const end = this.outcomes.get(o.asset_id) ?? 'filled';
    await this.db.query('UPDATE fake_orders SET status = $2, fill_price = $3 WHERE id = $1', [
      o.id,
      end,
      end === 'filled' ? o.quote : null,
    ]);
    if (this.silent) return;
    await this.publishOrder(t, o, 'placed');
    await this.publishOrder(t, { ...o, fill_price: o.quote }, end);
  }

  private owned(accountId: string, customerId: string | undefined) {
    const a = this.accounts.get(accountId);
    if (!a || a.ownerId !== customerId) throw new NotFoundError('No such account');
    return a;
  }

  stubs(): Array<(t: Transport) => Promise<Consumer>> {
    const later = (fn: () => Promise<void>) => void setTimeout(() => void fn().catch(() => {}), 20);
    return [
      (t) =>
        stubService(t, strategiesContract, {
          getStrategy: ({ strategyId }) => {
            const s = this.strategies.get(strategyId);
            if (!s) throw new NotFoundError('No such strategy');
            return { id: strategyId, name: s.name, assets: s.assets, createdById: 'admin', createdAt: NOW };
          },
        }),
      (t) =>
        stubService(t, accountsContract, {
          getAccount: ({ accountId }, env) => {
            const a = this.owned(accountId, env.identity?.customerId);
            return {
              id: accountId,
              ownerId: a.ownerId,
              name: 'Main',
              currency: 'USD' as const,
              status: a.status,
              createdAt: NOW,
            };
          },
        }),
      (t) =>
        stubService(t, marketDataContract, {
          getPrices: ({ assetIds }) => ({
            items: (assetIds ?? []).flatMap((assetId) =>
              this.prices.has(assetId) ? [{ assetId, price: this.prices.get(assetId)!, at: NOW }] : [],
            ),
          }),
        }),
      (t) =>
        stubService(t, feesContract, { getSchedule: () => ({ ...this.schedule, effectiveFrom: NOW, version: 1 }) }),
      (t) =>
        stubService(t, paymentsContract, {
          requestDeposit: async (req, env) => {
            this.owned(req.accountId, env.identity?.customerId);
            const declined = req.card?.number === DECLINED_CARD;
            const { rows } = await this.db.query<FakePayment & { inserted: boolean }>(
              `INSERT INTO fake_payments (id, key, account_id, customer_id, amount, method, status, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
               ON CONFLICT (key) DO UPDATE SET calls = fake_payments.calls + 1 RETURNING *, (xmax = 0) AS inserted`,
              [
                randomUUID(),
                env.idempotencyKey,
                req.accountId,
                env.identity!.customerId,
                req.amount,
                req.method,
                declined ? 'failed' : 'completed',
                declined ? 'card_declined' : null,
              ],
            );
            const p = rows[0]!;
            if (p.inserted) later(() => (this.silent ? Promise.resolve() : this.publishPayment(t, p)));
            if (process.env.FAKE_CRASH_AT === 'payment') process.kill(process.pid, 'SIGKILL');
            return {
              id: p.id,
              accountId: p.account_id,
              kind: 'deposit' as const,
              method: req.method,
              amount: p.amount,
              status: 'pending' as const,
              createdAt: NOW,
              updatedAt: NOW,
            };
          },
          getPayment: async ({ paymentId }) => {
            const p = (await this.db.query<FakePayment>('SELECT * FROM fake_payments WHERE id = $1', [paymentId]))
              .rows[0];
            if (!p) throw new NotFoundError('No such payment');
            return {
              id: p.id,
              accountId: p.account_id,
              kind: 'deposit' as const,
              method: p.method as 'card',
              amount: p.amount,
              status: p.status,
              ...(p.reason ? { reason: p.reason } : {}),
              createdAt: NOW,
              updatedAt: NOW,
            };
          },
        }),
      (t) =>
        stubService(t, ordersContract, {
          placeOrder: async (req, env) => {
            this.owned(req.accountId, env.identity?.customerId);
            if (this.refuseOrdersOf.has(req.accountId))
              throw new BusinessRuleError('account_closed', 'The account is closed');
            const quote = parseMoney(this.prices.get(req.assetId)!);
            const limit = minCents(
              divideHalfUp(quote * 105n, 100n),
              req.maxLimitPrice ? parseMoney(req.maxLimitPrice) : quote * 2n,
            );
            const q = parseQuantity(req.quantity);
            const fee = maxCents(
              parseMoney(this.schedule.minimum),
              notionalTimesRate(q, quote, parseRate(this.schedule.rate)),
            );
            const { rows } = await this.db.query<FakeOrder & { inserted: boolean }>(
              `INSERT INTO fake_orders (id, key, account_id, asset_id, quantity, quote, limit_price, fee, reservation, investment_id, source, caller, status)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'pending')
               ON CONFLICT (key) DO UPDATE SET calls = fake_orders.calls + 1 RETURNING *, (xmax = 0) AS inserted`,
              [
                randomUUID(),
                env.idempotencyKey,
                req.accountId,
                req.assetId,
                req.quantity,
                formatMoney(quote),
                formatMoney(limit),
                formatMoney(fee),
                formatMoney(notionalRoundedUp(q, limit)),
                req.investmentId ?? null,
                req.source ?? 'customer',
                env.source,
              ],
            );
            const o = rows[0]!;
            if (o.inserted) later(() => this.follow(t, o));
            const placed = (await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM fake_orders')).rows[0]!
              .n;
            if (process.env.FAKE_CRASH_AT === `order:${placed}`) process.kill(process.pid, 'SIGKILL');
            return this.toOrder(o, 'pending');
          },
          getOrder: async ({ orderId }) => {
            const o = (await this.db.query<FakeOrder>('SELECT * FROM fake_orders WHERE id = $1', [orderId])).rows[0];
            if (!o) throw new NotFoundError('No such order');
            return this.toOrder(o, o.status as 'pending');
          },
        }),
    ];
  }

  private toOrder(o: FakeOrder, status: 'pending' | 'placed' | 'filled' | 'expired') {
    return {
      id: o.id,
      accountId: o.account_id,
      assetId: o.asset_id,
      side: 'buy' as const,
      quantity: o.quantity,
      type: 'market' as const,
      status,
      quotePrice: o.quote,
      limitPrice: o.limit_price,
      fee: o.fee,
      fillPrice: status === 'filled' ? o.fill_price : null,
      reason: status === 'expired' ? 'expired' : null,
      createdAt: NOW,
      updatedAt: NOW,
      history: [{ status: 'pending' as const, at: NOW }],
      source: o.source as 'strategy',
      investmentId: o.investment_id,
    };
  }
}
