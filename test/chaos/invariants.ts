/**
 * The invariants the chaos suite checks after the storm: through the public API first, and where the
 * API cannot show it, through each service's own database, read-only (a session with
 * default_transaction_read_only). Each check returns its problems (empty: ok); a check that may still
 * be settling (read models, notifications) is polled until it passes or the settle deadline passes.
 */
import pg from 'pg';
import { cents, micros, money, notional, TERMINAL, type LedgerEntry, type Order, type Payment } from '../e2e/system.ts';
import type { Session } from './client.ts';

export interface Trader {
  n: number;
  session: Session;
  accountId: string;
}

export type Outcome = 'accepted' | 'refused' | 'unknown';

export interface OrderOp {
  trader: Trader;
  key: string;
  request: { accountId: string; assetId: string; side: 'buy' | 'sell'; quantity: string };
  outcome?: Outcome;
  order?: Order;
  detail?: string;
}

export interface PaymentOp {
  trader: Trader;
  key: string;
  kind: 'deposit' | 'withdrawal';
  body: Record<string, unknown>;
  outcome?: Outcome;
  payment?: Payment;
  detail?: string;
}

/** An investment in the chaos strategy (POST /v1/strategies/{id}/investments): its own payment and buys. */
export interface InvestmentOp {
  trader: Trader;
  key: string;
  body: { destinationAccountId: string; amount: string; method: 'card'; card: { number: string } };
  outcome?: Outcome;
  investment?: Investment;
  detail?: string;
}

/** The public Investment (api.md, Wave 2), as far as the checks read it. */
export interface Investment {
  id: string;
  destinationAccountId: string;
  amount: string;
  paymentId: string;
  status: 'awaiting_payment' | 'ordering' | 'completed' | 'failed';
  reason?: string;
  orders: { orderId: string; assetId: string; quantity: string; status: string }[];
  invested: string;
  fees: string;
  leftover: string;
}

export interface World {
  traders: Trader[];
  orders: OrderOp[];
  payments: PaymentOp[];
  investments: InvestmentOp[];
  admin: Session;
  /** Every service (each has a database of its own). */
  services: readonly string[];
  /** A read-only client of a service's own database. */
  db(service: string): pg.Client;
}

export interface Check {
  name: string;
  /** Polled until it returns no problem or the settle deadline passes. */
  settles?: boolean;
  run(): Promise<string[]>;
}

/** The final orders of every account, from the API (GET /v1/orders?accountId=), filled in by `ordersTerminal`. */
export const finalOrders = new Map<string, Order[]>();
/** The final payments, by id (GET /v1/payments/{id}), an investment's own payment included. */
export const finalPayments = new Map<string, Payment>();
/** The final investments, by id (GET /v1/investments/{id}). */
export const finalInvestments = new Map<string, Investment>();

const FINAL_INVESTMENT = ['completed', 'failed'];
const finalPayment = (p: Payment) => p.status === 'completed' || p.status === 'failed';
/** The payment ids of accepted investments (each investment pays its amount in through payments). */
const investmentPayments = (w: World) =>
  w.investments.filter((i) => i.investment).map((i) => ({ op: i, paymentId: i.investment!.paymentId }));

const isZero = (s: string) => /^-?0(\.0+)?$/.test(s);
const json = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? String(x) : x));
const cap = (problems: string[], n = 15) =>
  problems.length > n ? [...problems.slice(0, n), `… and ${problems.length - n} more`] : problems;

/** Waits (up to the deadline) until every order of every account is terminal and every payment final. */
export async function waitSettled(w: World, deadline: number): Promise<string[]> {
  let problems: string[] = [];
  while (true) {
    problems = [];
    for (const t of w.traders) {
      const listed = await t.session.all<Order>(`/v1/orders?accountId=${t.accountId}`);
      finalOrders.set(t.accountId, listed);
      for (const o of listed)
        if (!TERMINAL.includes(o.status))
          problems.push(
            `order ${o.id} of ${t.accountId} is ${o.status} (history ${json(o.history.map((h) => `${h.status}@${h.at}`))})`,
          );
    }
    for (const i of w.investments.filter((i) => i.investment)) {
      const res = await i.trader.session.call('GET', `/v1/investments/${i.investment!.id}`);
      if (res.status !== 200) problems.push(`investment ${i.investment!.id}: ${res.status}`);
      else {
        finalInvestments.set(i.investment!.id, res.body);
        if (!FINAL_INVESTMENT.includes(res.body.status))
          problems.push(`investment ${i.investment!.id} of ${i.trader.accountId} is ${res.body.status}`);
      }
    }
    const payments = [
      ...w.payments.filter((p) => p.payment).map((p) => ({ trader: p.trader, id: p.payment!.id, what: p.kind })),
      ...investmentPayments(w).map(({ op, paymentId }) => ({
        trader: op.trader,
        id: paymentId,
        what: 'investment payment',
      })),
    ];
    for (const p of payments) {
      const res = await p.trader.session.call('GET', `/v1/payments/${p.id}`);
      if (res.status !== 200) problems.push(`payment ${p.id}: ${res.status}`);
      else {
        finalPayments.set(p.id, res.body);
        if (!finalPayment(res.body))
          problems.push(`payment ${p.id} (${p.what} of ${p.trader.accountId}) still ${res.body.status}`);
      }
    }
    if (problems.length === 0 || Date.now() > deadline) return cap(problems);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

/** Expected cash (cents) and positions (micros by asset) of an account from its final orders and payments. */
function expected(w: World, t: Trader): { cash: bigint; positions: Map<string, bigint> } {
  let cash = 0n;
  const positions = new Map<string, bigint>();
  for (const p of w.payments.filter((p) => p.trader === t && p.payment)) {
    const f = finalPayments.get(p.payment!.id);
    if (f?.status !== 'completed') continue;
    cash += p.kind === 'deposit' ? cents(f.amount) : -cents(f.amount);
  }
  // An investment's payment is a deposit into its destination account; its buys are among the account's orders.
  for (const { op, paymentId } of investmentPayments(w)) {
    if (op.trader !== t) continue;
    const f = finalPayments.get(paymentId);
    if (f?.status === 'completed') cash += cents(f.amount);
  }
  for (const o of finalOrders.get(t.accountId) ?? []) {
    if (o.status !== 'filled' || !o.fillPrice) continue;
    const gross = notional(o.quantity, o.fillPrice);
    const q = micros(o.quantity);
    if (o.side === 'buy') {
      cash -= gross + cents(o.fee);
      positions.set(o.assetId, (positions.get(o.assetId) ?? 0n) + q);
    } else {
      cash += gross - cents(o.fee);
      positions.set(o.assetId, (positions.get(o.assetId) ?? 0n) - q);
    }
  }
  return { cash, positions };
}

async function ledger(t: Trader): Promise<LedgerEntry[]> {
  return t.session.all<LedgerEntry>(`/v1/accounts/${t.accountId}/transactions`);
}

/** Sums entries by asset/book (cents for USD, micros for a ticker). */
function net(entries: LedgerEntry[]): Map<string, bigint> {
  const sums = new Map<string, bigint>();
  for (const e of entries) {
    const k = `${e.asset}/${e.book}`;
    sums.set(k, (sums.get(k) ?? 0n) + (e.amount !== undefined ? cents(e.amount) : micros(e.quantity!)));
  }
  return sums;
}

export function checks(w: World): Check[] {
  const allOrders = () => [...finalOrders.values()].flat();
  const q = async <T extends pg.QueryResultRow>(service: string, sql: string, params: unknown[] = []) =>
    (await w.db(service).query<T>(sql, params)).rows;

  /** An order's messages in `from`'s outbox (of one type, or all), each with the consumers of `to` whose inbox has it. */
  const sentAndReceived = async (from: string, to: string, orderId: string, type?: string) => {
    const sent = await q<{
      id: string;
      destination: string;
      message_id: string;
      status: string | null;
      published_at: Date | null;
      created_at: Date;
    }>(
      from,
      `SELECT id::text, destination, message_id, body::jsonb #>> '{data,status}' AS status, published_at, created_at FROM chassis_outbox
        WHERE aggregate_key = $1 AND ($2::text IS NULL OR destination = $2) ORDER BY id`,
      [orderId, type ?? null],
    );
    const got = await q<{ message_id: string; consumer: string }>(
      to,
      'SELECT message_id, consumer FROM chassis_inbox WHERE message_id = ANY($1)',
      [sent.map((x) => x.message_id)],
    );
    return sent.map((x) => ({ ...x, inbox: got.filter((g) => g.message_id === x.message_id).map((g) => g.consumer) }));
  };

  /** Where an order got stuck: its saga, the messages between orders and market, the exchange's record. */
  const orderTrail = async (orderId: string): Promise<string[]> => {
    const lines: string[] = [];
    const at = (d: Date | null) => (d ? d.toISOString().slice(11, 23) : '-');
    const sagas = await q<{
      status: string;
      current_step: string;
      attempt: number;
      wait_signals: string[] | null;
      next_run_at: Date;
      failure: unknown;
    }>(
      'orders',
      "SELECT status, current_step, attempt, wait_signals, next_run_at, failure FROM chassis_sagas WHERE data->>'orderId' = $1",
      [orderId],
    );
    for (const g of sagas)
      lines.push(
        `saga: ${g.status} at ${g.current_step} (attempt ${g.attempt}, waiting for ${json(g.wait_signals)}, next run ${at(g.next_run_at)}, failure ${json(g.failure)})`,
      );
    const signals = await q<{ name: string; created_at: Date; consumed_at: Date | null }>(
      'orders',
      "SELECT s.name, s.created_at, s.consumed_at FROM chassis_saga_signals s JOIN chassis_sagas g ON g.id = s.saga_id WHERE g.data->>'orderId' = $1 ORDER BY s.id",
      [orderId],
    );
    lines.push(
      `saga signals: ${signals.map((x) => `${x.name}@${at(x.created_at)}${x.consumed_at ? ' consumed' : ' PENDING'}`).join(', ') || 'none'}`,
    );
    const log = await q<{ step: string; phase: string; outcome: string; detail: string | null; at: Date }>(
      'orders',
      "SELECT l.step, l.phase, l.outcome, l.detail, l.at FROM chassis_saga_log l JOIN chassis_sagas g ON g.id = l.saga_id WHERE g.data->>'orderId' = $1 ORDER BY l.id DESC LIMIT 6",
      [orderId],
    );
    lines.push(
      `saga log (newest first): ${log.map((l) => `${l.step}/${l.phase} ${l.outcome}@${at(l.at)}${l.detail ? ` (${l.detail.slice(0, 80)})` : ''}`).join('; ')}`,
    );
    for (const [service, consumer] of [
      ['orders', 'market'],
      ['market', 'orders'],
    ] as const) {
      const sent = await sentAndReceived(service, consumer, orderId);
      lines.push(
        `${service} sent: ${sent.map((x) => `${x.destination}@${at(x.created_at)} ${x.published_at ? 'published' : 'NOT published'}, ${consumer} inbox ${x.inbox.join(',') || 'none'}`).join('; ') || 'nothing'}`,
      );
    }
    const jobs = await q<Record<string, unknown>>(
      'market',
      'SELECT status, exchange_order_id, attempts, cancel_reason, follow_polls, next_attempt_at, last_error, failure_reason FROM exchange_jobs WHERE order_id = $1',
      [orderId],
    );
    lines.push(`market job: ${json(jobs[0] ?? null)}`);
    const placed = await q<Record<string, unknown>>(
      'exchange',
      'SELECT id, status, fill_price_cents, filled_at, reason FROM exchange_orders WHERE client_order_id = $1',
      [orderId],
    );
    lines.push(`exchange: ${json(placed[0] ?? null)}`);
    return lines;
  };

  /** Where an order's OrderStatusChanged events went: orders' outbox, notifications' inbox and rows (evidence for a mismatch). */
  const orderEventTrail = async (orderId: string): Promise<string> => {
    const sent = await sentAndReceived('orders', 'notifications', orderId, 'orders.OrderStatusChanged.v1');
    const written = await q<{ source_event_id: string; title: string }>(
      'notifications',
      'SELECT source_event_id, title FROM notifications WHERE source_event_id = ANY($1)',
      [sent.map((r) => r.message_id)],
    );
    const trail = sent.map((r) => {
      const wrote = written.filter((n) => n.source_event_id === r.message_id).map((n) => n.title);
      return `${r.status} (outbox ${r.id}, ${r.published_at ? 'published' : 'NOT published'}; inbox ${r.inbox.join(',') || 'none'}; notification ${wrote.join(',') || 'none'})`;
    });
    return `order ${orderId}: ${trail.join(' → ') || 'no OrderStatusChanged in the outbox (purged?)'}`;
  };

  return [
    {
      name: 'every request got a final answer (none given up on)',
      async run() {
        const all = [...w.orders, ...w.payments, ...w.investments];
        const unknown = all.filter((o) => o.outcome === 'unknown');
        const unsent = all.filter((o) => o.outcome === undefined).length;
        const what = (o: (typeof all)[number]) =>
          'request' in o
            ? `order ${o.request.side} ${o.request.quantity} ${o.request.assetId}`
            : 'kind' in o
              ? o.kind
              : `investment of ${o.body.amount}`;
        return cap([
          ...(unsent ? [`${unsent} requests never sent: the load bound passed (the system served too slowly)`] : []),
          ...unknown.map((o) => `${what(o)} of ${o.trader.accountId} (key ${o.key}): ${o.detail}`),
        ]);
      },
    },
    {
      name: 'every order terminal (API and the orders database)',
      async run() {
        const problems = allOrders()
          .filter((o) => !TERMINAL.includes(o.status))
          .map((o) => `order ${o.id} ${o.status}`);
        const rows = await q<{ id: string; status: string }>(
          'orders',
          `SELECT id, status FROM orders WHERE status NOT IN ('filled','rejected','failed','canceled','expired')`,
        );
        for (const r of rows) problems.push(`orders database: ${r.id} is ${r.status}`);
        for (const r of rows.slice(0, 3)) problems.push(...(await orderTrail(r.id)).map((line) => `    ${line}`));
        return cap(problems);
      },
    },
    {
      name: 'no order created twice (each account lists exactly the accepted orders; one row per order in the database)',
      async run() {
        const problems: string[] = [];
        for (const t of w.traders) {
          const listed = new Set((finalOrders.get(t.accountId) ?? []).map((o) => o.id));
          // The account's orders: its own requests' and its investments' buys (source strategy).
          const accepted = [
            ...w.orders.filter((o) => o.trader === t && o.order).map((o) => o.order!.id),
            ...w.investments
              .filter((i) => i.trader === t && i.investment)
              .flatMap((i) => (finalInvestments.get(i.investment!.id)?.orders ?? []).map((o) => o.orderId)),
          ];
          const unknown = w.orders.filter((o) => o.trader === t && o.outcome === 'unknown').length;
          if (new Set(accepted).size !== accepted.length)
            problems.push(`${t.accountId}: two requests got the same order id`);
          for (const id of accepted)
            if (!listed.has(id)) problems.push(`${t.accountId}: accepted order ${id} not listed`);
          const extra = [...listed].filter((id) => !accepted.includes(id));
          if (extra.length > unknown)
            problems.push(
              `${t.accountId}: ${extra.length} orders listed that no request was answered with (${unknown} requests without an answer): ${extra.join(', ')}`,
            );
        }
        const rows = await q<{ n: string }>('orders', 'SELECT count(*) AS n FROM orders');
        const listedTotal = allOrders().length;
        if (Number(rows[0]!.n) !== listedTotal)
          problems.push(`orders database holds ${rows[0]!.n} orders, the accounts list ${listedTotal}`);
        return cap(problems);
      },
    },
    {
      name: 'every payment final, none created twice (API and the payments database)',
      async run() {
        const problems: string[] = [];
        const ids = [
          ...w.payments.filter((p) => p.payment).map((p) => p.payment!.id),
          ...investmentPayments(w).map((i) => i.paymentId),
        ];
        for (const id of ids) {
          const f = finalPayments.get(id);
          if (!f || !finalPayment(f)) problems.push(`payment ${id} ${f?.status ?? 'never read'}`);
        }
        if (new Set(ids).size !== ids.length)
          problems.push('two payment or investment requests got the same payment id');
        const rows = await q<{ id: string; status: string }>('payments', 'SELECT id::text, status FROM payments');
        const unknown = [...w.payments, ...w.investments].filter((p) => p.outcome === 'unknown').length;
        const known = new Set(ids);
        const extra = rows.filter((r) => !known.has(r.id));
        if (extra.length > unknown)
          problems.push(
            `payments database holds ${extra.length} payments no request was answered with: ${extra.map((r) => `${r.id} ${r.status}`).join(', ')}`,
          );
        for (const r of rows.filter((r) => r.status === 'pending' || r.status === 'settling'))
          problems.push(`payments database: ${r.id} ${r.status}`);
        return cap(problems);
      },
    },
    {
      name: 'cash exact to the cent per account (deposits − withdrawals − buys + sells − fees), nothing reserved',
      settles: true,
      async run() {
        const problems: string[] = [];
        for (const t of w.traders) {
          const res = await t.session.call('GET', `/v1/accounts/${t.accountId}`);
          const cash = res.body?.cash;
          const want = money(expected(w, t).cash);
          if (!cash || cash.available !== want || cash.reserved !== '0.00')
            problems.push(`${t.accountId}: expected ${want} available / 0.00 reserved, API says ${json(cash)}`);
        }
        return cap(problems);
      },
    },
    {
      name: 'positions exact per account and asset (Σ filled buys − Σ filled sells), nothing reserved',
      settles: true,
      async run() {
        const problems: string[] = [];
        for (const t of w.traders) {
          const res = await t.session.call('GET', `/v1/accounts/${t.accountId}/holdings`);
          const positions = (res.body?.positions ?? []) as {
            assetId: string;
            quantity: string;
            reservedQuantity: string;
          }[];
          const want = expected(w, t).positions;
          const assets = new Set([...want.keys(), ...positions.map((p) => p.assetId)]);
          for (const a of assets) {
            const p = positions.find((x) => x.assetId === a);
            const have = p ? micros(p.quantity) : 0n;
            const reserved = p ? micros(p.reservedQuantity) : 0n;
            if (have !== (want.get(a) ?? 0n) || reserved !== 0n)
              problems.push(`${t.accountId} ${a}: expected ${want.get(a) ?? 0n} µ, API says ${json(p)}`);
          }
        }
        return cap(problems);
      },
    },
    {
      name: "every filled order's cash and position moved exactly once (one fee, one trade); an unfilled order left no trace (API ledger)",
      settles: true,
      async run() {
        const problems: string[] = [];
        for (const t of w.traders) {
          const entries = await ledger(t);
          for (const o of finalOrders.get(t.accountId) ?? []) {
            const mine = entries.filter((e) => e.orderId === o.id);
            const fees = mine.filter((e) => e.kind === 'fee');
            const refunds = mine.filter((e) => e.kind === 'fee_refund');
            const trades = mine.filter((e) => e.kind === 'trade' && e.asset === o.assetId);
            if (o.status === 'filled') {
              if (fees.length !== 1 || cents(fees[0]!.amount!) !== -cents(o.fee))
                problems.push(`filled ${o.id}: fee entries ${json(fees)} (fee ${o.fee})`);
              if (refunds.length) problems.push(`filled ${o.id}: fee refunded ${json(refunds)}`);
              const want = o.side === 'buy' ? micros(o.quantity) : -micros(o.quantity);
              if (trades.length !== 1 || micros(trades[0]!.quantity!) !== want)
                problems.push(
                  `filled ${o.id} (${o.side} ${o.quantity} ${o.assetId}): trade entries of the asset ${json(trades)}`,
                );
              const cashTrades = mine.filter((e) => e.kind === 'trade' && e.asset === 'USD' && e.book === 'available');
              const moved = cashTrades.reduce((s, e) => s + cents(e.amount!), 0n);
              if (o.side === 'sell' && (cashTrades.length !== 1 || moved !== notional(o.quantity, o.fillPrice!)))
                problems.push(
                  `filled sell ${o.id}: proceeds ${json(cashTrades)}, expected ${money(notional(o.quantity, o.fillPrice!))}`,
                );
            } else {
              for (const [k, v] of net(mine))
                if (v !== 0n) problems.push(`${o.status} ${o.id}: net effect on ${k} is ${v}`);
              if (mine.some((e) => e.kind === 'trade')) problems.push(`${o.status} ${o.id}: has a trade`);
              if (fees.length > 1 || refunds.length > 1)
                problems.push(`${o.status} ${o.id}: ${fees.length} fees, ${refunds.length} refunds`);
            }
          }
        }
        return cap(problems);
      },
    },
    {
      name: 'no fee charged twice (fees and ledger databases: one fee per order, refunded iff the order did not fill; no posting twice)',
      async run() {
        const problems: string[] = [];
        const byId = new Map(allOrders().map((o) => [o.id, o]));
        const fees = await q<{ order_id: string; amount_cents: string; refunded: boolean }>(
          'fees',
          'SELECT order_id, amount_cents::text, refunded_at IS NOT NULL AS refunded FROM fees',
        );
        const feeOf = new Map(fees.map((f) => [f.order_id, f]));
        for (const f of fees) {
          const o = byId.get(f.order_id);
          if (!o) continue; // an order of no account of ours (none expected)
          if (o.status === 'filled' && f.refunded) problems.push(`fee of filled order ${o.id} refunded`);
          if (o.status !== 'filled' && !f.refunded)
            problems.push(`fee of ${o.status} order ${o.id} (${o.reason}) not refunded`);
          if (BigInt(f.amount_cents) !== cents(o.fee))
            problems.push(`fee of ${o.id}: ${f.amount_cents} cents charged, order says ${o.fee}`);
        }
        for (const o of allOrders())
          if (o.status === 'filled' && !feeOf.has(o.id)) problems.push(`filled order ${o.id} has no fee row`);
        const twice = await q<{ order_id: string; kind: string; n: string }>(
          'transactions',
          `SELECT order_id, kind, count(*)::text AS n FROM postings WHERE order_id IS NOT NULL AND kind IN ('fee','fee_refund','trade') GROUP BY order_id, kind HAVING count(*) > 1`,
        );
        for (const r of twice) problems.push(`ledger: ${r.n} ${r.kind} postings for order ${r.order_id}`);
        const trades = await q<{ order_id: string }>(
          'transactions',
          `SELECT DISTINCT order_id FROM postings WHERE kind = 'trade' AND order_id IS NOT NULL`,
        );
        const traded = new Set(trades.map((r) => r.order_id));
        for (const o of allOrders()) {
          if (o.status === 'filled' && !traded.has(o.id)) problems.push(`ledger: filled ${o.id} has no trade posting`);
          if (o.status !== 'filled' && traded.has(o.id))
            problems.push(`ledger: ${o.status} ${o.id} has a trade posting`);
        }
        return cap(problems);
      },
    },
    {
      name: 'no reservation leaked (ledger database: no reservation held, nothing reserved, available = balance)',
      settles: true,
      async run() {
        const problems: string[] = [];
        const held = await q<{
          id: string;
          account_id: string;
          asset: string;
          remaining: string;
          order_id: string | null;
          payment_id: string | null;
        }>(
          'transactions',
          `SELECT id::text, account_id, asset, remaining::text, order_id, payment_id FROM reservations WHERE status = 'held'`,
        );
        for (const r of held)
          problems.push(
            `reservation ${r.id} of ${r.account_id} holds ${r.remaining} ${r.asset} (order ${r.order_id ?? '-'}, payment ${r.payment_id ?? '-'})`,
          );
        const reserved = await q<{ account_id: string; asset: string; reserved: string }>(
          'transactions',
          'SELECT account_id, asset, reserved::text FROM balances WHERE reserved <> 0',
        );
        for (const r of reserved) problems.push(`balance of ${r.account_id} ${r.asset}: ${r.reserved} reserved`);
        return cap(problems);
      },
    },
    {
      name: 'trial balance zero for every asset (API)',
      settles: true,
      async run() {
        const res = await w.admin.call('GET', '/v1/admin/ledger/trial-balance');
        if (res.status !== 200) return [`${res.status} ${res.text.slice(0, 300)}`];
        const bad = (res.body.assets as { asset: string; total: string }[]).filter((a) => !isZero(a.total));
        return [...(res.body.balanced === true ? [] : ['not balanced']), ...bad.map((a) => `${a.asset}: ${a.total}`)];
      },
    },
    {
      name: 'holdings = ledger (holdings database vs ledger balances, every account, cash and positions)',
      settles: true,
      async run() {
        const problems: string[] = [];
        const balances = await q<{ account_id: string; asset: string; available: string; reserved: string }>(
          'transactions',
          'SELECT account_id, asset, available::text, reserved::text FROM balances',
        );
        const cash = await q<{ account_id: string; available_cents: string; reserved_cents: string }>(
          'holdings',
          'SELECT account_id, available_cents::text, reserved_cents::text FROM cash',
        );
        const positions = await q<{
          account_id: string;
          asset_id: string;
          available_micros: string;
          reserved_micros: string;
        }>('holdings', 'SELECT account_id, asset_id, available_micros::text, reserved_micros::text FROM positions');
        const ledger = new Map(balances.map((b) => [`${b.account_id}/${b.asset}`, b]));
        const held = new Map<string, { available: string; reserved: string }>();
        for (const c of cash)
          held.set(`${c.account_id}/USD`, { available: c.available_cents, reserved: c.reserved_cents });
        for (const p of positions)
          held.set(`${p.account_id}/${p.asset_id}`, { available: p.available_micros, reserved: p.reserved_micros });
        for (const k of new Set([...ledger.keys(), ...held.keys()])) {
          const l = ledger.get(k);
          const h = held.get(k);
          const la = BigInt(l?.available ?? 0);
          const lr = BigInt(l?.reserved ?? 0);
          const ha = BigInt(h?.available ?? 0);
          const hr = BigInt(h?.reserved ?? 0);
          if (la !== ha || lr !== hr)
            problems.push(`${k}: ledger ${la}/${lr} (available/reserved), holdings ${ha}/${hr}`);
        }
        return cap(problems);
      },
    },
    {
      name: 'every completed payment posted in the ledger once, every failed one left no trace (API ledger and ledger database)',
      settles: true,
      async run() {
        const problems: string[] = [];
        const postings = await q<{ payment_id: string; kind: string; n: string }>(
          'transactions',
          `SELECT payment_id, kind, count(*)::text AS n FROM postings WHERE payment_id IS NOT NULL GROUP BY payment_id, kind`,
        );
        const posted = new Map<string, Map<string, number>>();
        for (const r of postings) {
          if (!posted.has(r.payment_id)) posted.set(r.payment_id, new Map());
          posted.get(r.payment_id)!.set(r.kind, Number(r.n));
        }
        const rows = await q<{ id: string; kind: string; status: string }>(
          'payments',
          'SELECT id::text, kind, status FROM payments',
        );
        for (const r of rows) {
          const kinds = posted.get(r.id);
          const n = kinds?.get(r.kind) ?? 0;
          if (r.status === 'completed' && n !== 1)
            problems.push(
              `completed ${r.kind} ${r.id}: ${n} ${r.kind} postings (${json(Object.fromEntries(kinds ?? []))})`,
            );
          if (r.status === 'failed' && n !== 0) problems.push(`failed ${r.kind} ${r.id}: ${n} ${r.kind} postings`);
        }
        for (const t of w.traders) {
          const entries = await ledger(t);
          for (const p of w.payments.filter((p) => p.trader === t && p.payment)) {
            const f = finalPayments.get(p.payment!.id);
            const mine = entries.filter((e) => e.paymentId === p.payment!.id);
            const avail = net(mine).get('USD/available') ?? 0n;
            const want = f?.status === 'completed' ? (p.kind === 'deposit' ? cents(f.amount) : -cents(f.amount)) : 0n;
            if (avail !== want)
              problems.push(
                `${f?.status} ${p.kind} ${p.payment!.id}: net ${money(avail)} on available cash, expected ${money(want)} (${json(mine.map((e) => `${e.kind} ${e.book} ${e.amount}`))})`,
              );
          }
        }
        return cap(problems);
      },
    },
    {
      name: 'no notification twice (per customer: one per terminal order, one per final payment; API)',
      settles: true,
      async run() {
        const problems: string[] = [];
        for (const t of w.traders) {
          const items = await t.session.all<{ kind: string; title: string }>('/v1/notifications');
          const want = new Map<string, number>();
          const add = (k: string) => want.set(k, (want.get(k) ?? 0) + 1);
          for (const o of finalOrders.get(t.accountId) ?? [])
            add(`Order ${o.status}: ${o.side} ${o.quantity} ${o.assetId}`);
          for (const p of w.payments.filter((p) => p.trader === t && p.payment)) {
            const f = finalPayments.get(p.payment!.id);
            if (f?.status === 'completed') add(`${p.kind}_completed`);
            if (f?.status === 'failed') add(`${p.kind}_failed`);
          }
          for (const { op, paymentId } of investmentPayments(w)) {
            if (op.trader !== t) continue;
            const f = finalPayments.get(paymentId);
            if (f?.status === 'completed') add('deposit_completed');
            if (f?.status === 'failed') add('deposit_failed');
          }
          const have = new Map<string, number>();
          for (const n of items) {
            const k = n.kind.startsWith('order_')
              ? n.title
              : /^(deposit|withdrawal)_/.test(n.kind)
                ? n.kind
                : undefined;
            if (k) have.set(k, (have.get(k) ?? 0) + 1);
          }
          for (const k of new Set([...want.keys(), ...have.keys()])) {
            if ((want.get(k) ?? 0) === (have.get(k) ?? 0)) continue;
            problems.push(
              `customer ${t.session.client.id}: "${k}" ×${have.get(k) ?? 0}, expected ×${want.get(k) ?? 0}`,
            );
            const orders = (finalOrders.get(t.accountId) ?? []).filter(
              (o) => `Order ${o.status}: ${o.side} ${o.quantity} ${o.assetId}` === k,
            );
            for (const o of orders) problems.push(`    ${await orderEventTrail(o.id)}`);
          }
        }
        return cap(problems);
      },
    },
    {
      name: 'every investment final and exact: completed → invested + fees + leftover = amount, its buys filled or ended and listed as source strategy; failed → payment failed, nothing bought; one per request (API and the strategy-orders database)',
      async run() {
        const problems: string[] = [];
        const byId = new Map(
          allOrders().map((o) => [o.id, o as typeof o & { source?: string; investmentId?: string }]),
        );
        for (const op of w.investments.filter((i) => i.investment)) {
          const inv = finalInvestments.get(op.investment!.id);
          if (!inv) {
            problems.push(`investment ${op.investment!.id}: never read`);
            continue;
          }
          const pay = finalPayments.get(inv.paymentId);
          const mine = inv.orders.map((o) => byId.get(o.orderId));
          if (inv.status === 'completed') {
            const sum = cents(inv.invested) + cents(inv.fees) + cents(inv.leftover);
            if (sum !== cents(inv.amount))
              problems.push(
                `completed ${inv.id}: invested ${inv.invested} + fees ${inv.fees} + leftover ${inv.leftover} ≠ amount ${inv.amount}`,
              );
            if (pay?.status !== 'completed')
              problems.push(`completed ${inv.id}: its payment ${inv.paymentId} is ${pay?.status}`);
            const filled = mine.filter((o) => o?.status === 'filled');
            const invested = filled.reduce((s, o) => s + notional(o!.quantity, o!.fillPrice!), 0n);
            const fees = filled.reduce((s, o) => s + cents(o!.fee), 0n);
            if (invested !== cents(inv.invested) || fees !== cents(inv.fees))
              problems.push(
                `completed ${inv.id}: says invested ${inv.invested}, fees ${inv.fees}; its filled orders cost ${money(invested)}, fees ${money(fees)}`,
              );
          } else if (inv.status === 'failed') {
            if (pay?.status === 'completed') problems.push(`failed ${inv.id} (${inv.reason}): its payment completed`);
            if (inv.orders.length) problems.push(`failed ${inv.id} (${inv.reason}): has ${inv.orders.length} orders`);
          } else problems.push(`investment ${inv.id} is ${inv.status}`);
          for (const [i, o] of mine.entries()) {
            const id = inv.orders[i]!.orderId;
            if (!o) problems.push(`${inv.id}: order ${id} not listed in account ${inv.destinationAccountId}`);
            else if (!TERMINAL.includes(o.status)) problems.push(`${inv.id}: order ${id} is ${o.status}`);
            else if (o.side !== 'buy' || o.source !== 'strategy' || o.investmentId !== inv.id)
              problems.push(`${inv.id}: order ${id} is ${o.side}, source ${o.source}, investment ${o.investmentId}`);
          }
        }
        const ids = w.investments.filter((i) => i.investment).map((i) => i.investment!.id);
        if (new Set(ids).size !== ids.length) problems.push('two investment requests got the same investment');
        const rows = await q<{ n: string }>('strategy-orders', 'SELECT count(*)::text AS n FROM investments');
        const unknown = w.investments.filter((i) => i.outcome === 'unknown').length;
        const extra = Number(rows[0]!.n) - ids.length;
        if (extra < 0 || extra > unknown)
          problems.push(
            `strategy-orders database holds ${rows[0]!.n} investments, ${ids.length} requests were answered with one (${unknown} without an answer)`,
          );
        return cap(problems);
      },
    },
    {
      name: 'no dead letters left unexplained (none expected: no malformed message is sent; each is printed)',
      async run() {
        const problems: string[] = [];
        const res = await w.admin.call('GET', '/v1/admin/dead-letters?limit=200');
        if (res.status !== 200) problems.push(`GET /v1/admin/dead-letters: ${res.status} ${res.text.slice(0, 200)}`);
        else
          for (const d of res.body.items)
            problems.push(`API: ${d.service} ${d.messageType} ×${d.attempts} ${d.firstFailedAt}: ${d.reason}`);
        // The databases too (a service the gateway does not ask still keeps its own).
        for (const line of await deadLettersInDatabases(w, w.services)) problems.push(`database ${line}`);
        return problems;
      },
    },
  ];
}

/** Dead letters straight from every service's database (status dead), for the report. */
export async function deadLettersInDatabases(w: World, services: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const s of services) {
    try {
      const rows = (
        await w
          .db(s)
          .query<{ consumer: string; message_type: string; reason: string; attempts: number; first_failed_at: Date }>(
            `SELECT consumer, message_type, reason, attempts, first_failed_at FROM chassis_dead_letters WHERE status = 'dead'`,
          )
      ).rows;
      for (const r of rows)
        out.push(
          `${s}: ${r.consumer} ${r.message_type} ×${r.attempts} ${r.first_failed_at.toISOString()}: ${r.reason}`,
        );
    } catch (err) {
      out.push(`${s}: could not read chassis_dead_letters (${(err as Error).message})`);
    }
  }
  return out;
}
