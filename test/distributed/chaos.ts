/**
 * Helpers for the distributed failure tests (failures.test.ts): a client that retries what a client
 * retries (same Idempotency-Key), streams of orders, and the end-state invariants checked through the
 * public API — every order terminal, cash and positions exact to the cent / share, one fee and one
 * trade per filled order, no order created twice, the trial balance zero, no notification twice.
 * No timing assertions: every end state is polled with `eventually` under a generous bound.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { eventually } from '@simplebank/chassis/testing';
import {
  cents,
  feeFor,
  limitPrice,
  micros,
  money,
  notional,
  show,
  TERMINAL,
  type Account,
  type Bank,
  type Customer,
  type LedgerEntry,
  type Order,
  type Res,
} from '../e2e/system.ts';

export const execFileP = promisify(execFile);

/** Bound for every end state waited for (chaos recovers slowly on a shared machine). */
export const LONG_WAIT_MS = 90_000;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Responses a well-behaved client retries with the same Idempotency-Key. */
const RETRYABLE = new Set([429, 500, 502, 503, 504]);

/** What the retrying client saw, for the test's diagnostics (and for the report when something is off). */
export class Observed {
  /** Non-final answers by status ("503", "network"), counted. */
  readonly retries: Record<string, number> = {};
  /** Sample bodies of the 5xx answers other than 503 (a 500 under chaos is worth a look). */
  readonly odd: string[] = [];
  note(what: string, res?: Res) {
    this.retries[what] = (this.retries[what] ?? 0) + 1;
    if (res && res.status !== 503 && res.status !== 429 && this.odd.length < 10) this.odd.push(show(res));
  }
}

/**
 * Sends the request until it gets a final answer: retries network errors, 429 and 5xx with the SAME
 * idempotency key (what a client does during an outage), up to `timeoutMs`.
 */
export async function untilAccepted(
  send: () => Promise<Res>,
  observed: Observed,
  timeoutMs = LONG_WAIT_MS,
): Promise<Res> {
  const deadline = Date.now() + timeoutMs;
  let last = 'nothing';
  let delay = 100;
  while (Date.now() < deadline) {
    try {
      const res = await send();
      if (!RETRYABLE.has(res.status)) return res;
      observed.note(String(res.status), res);
      last = show(res);
      const retryAfter = Number(res.headers.get('retry-after'));
      if (Number.isFinite(retryAfter) && retryAfter > 0) delay = Math.max(delay, Math.min(retryAfter * 1000, 2000));
    } catch (err) {
      observed.note('network');
      last = (err as Error).message;
    }
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 1000);
  }
  throw new Error(`no final answer in ${timeoutMs} ms; last: ${last}`);
}

export interface Trader {
  customer: Customer;
  account: Account;
  deposit: string;
}

export interface Submitted {
  trader: Trader;
  key: string;
  request: { accountId: string; assetId: string; side: 'buy'; quantity: string };
  /** The accepted order (202), once it was. */
  order?: Order;
  /** A final answer that was not 202. */
  refused?: string;
}

/** Customers with one funded account each (deposits completed and the cash available). */
export async function traders(bank: Bank, count: number, deposit: string): Promise<Trader[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const { customer, account } = await bank.fundedCustomer(deposit);
      return { customer, account, deposit };
    }),
  );
}

/**
 * The orders of a stream: trader i's k-th order buys `k` shares (a quantity unique per customer, so
 * that each order's notification is recognisable by its title) of the assets in turn.
 */
export function planOrders(all: Trader[], perTrader: number, assets: string[]): Submitted[] {
  const plan: Submitted[] = [];
  for (let k = 1; k <= perTrader; k++) {
    for (const trader of all) {
      const assetId = assets[(k + all.indexOf(trader)) % assets.length]!;
      plan.push({
        trader,
        key: `chaos-${randomUUID()}`,
        request: { accountId: trader.account.id, assetId, side: 'buy', quantity: String(k) },
      });
    }
  }
  return plan;
}

/** Places one order (retrying with its idempotency key until a final answer). */
export async function submit(bank: Bank, s: Submitted, observed: Observed): Promise<void> {
  const res = await untilAccepted(() => bank.placeOrderRaw(s.trader.customer, s.request, s.key), observed);
  if (res.status === 202 && res.body?.id) s.order = res.body;
  else s.refused = show(res);
}

/**
 * Fires the orders `spacingMs` apart without waiting for each other. `sent(n)` resolves once the
 * n-th order went out, or the stream ended (to time the chaos). With `until`, the stream stops `thenMore` orders after
 * `until` settled (the rest of the plan is not sent); otherwise it sends the whole plan. `done`
 * resolves, when every order sent has its final answer, with the orders sent (in the plan's order).
 */
export function stream(
  bank: Bank,
  plan: Submitted[],
  observed: Observed,
  spacingMs: number,
  options: { until?: Promise<unknown>; thenMore?: number } = {},
): { sent: (n: number) => Promise<void>; done: Promise<Submitted[]> } {
  const waiters: { n: number; resolve: () => void }[] = [];
  let fired = 0;
  let settled = false;
  let finished = false;
  void options.until?.then(
    () => (settled = true),
    () => (settled = true),
  );
  const done = (async () => {
    const inFlight: Promise<void>[] = [];
    let more = options.thenMore ?? 4;
    for (const s of plan) {
      if (options.until && settled && more-- <= 0) break;
      inFlight.push(submit(bank, s, observed));
      fired++;
      for (const w of waiters.filter((w) => w.n <= fired)) w.resolve();
      await sleep(spacingMs);
    }
    finished = true;
    for (const w of waiters) w.resolve();
    await Promise.all(inFlight);
    return plan.slice(0, fired);
  })();
  return {
    sent: (n) =>
      fired >= n || finished ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })),
    done,
  };
}

/** GET that tolerates the outage answers (for polling while the system recovers). */
async function tolerantGet(c: Customer, path: string): Promise<Res | undefined> {
  try {
    const res = await c.http.get(path);
    return res.status === 200 ? res : undefined;
  } catch {
    return undefined;
  }
}

/** Waits until every accepted order is terminal; returns the terminal orders by id. */
export async function waitAllTerminal(plan: Submitted[]): Promise<Map<string, Order>> {
  const accepted = plan.filter((s) => s.order);
  const final = new Map<string, Order>();
  const last = new Map<string, string>();
  try {
    await eventually(
      async () => {
        await Promise.all(
          accepted
            .filter((s) => !final.has(s.order!.id))
            .map(async (s) => {
              const res = await tolerantGet(s.trader.customer, `/v1/orders/${s.order!.id}`);
              if (!res) return;
              last.set(s.order!.id, res.body.status);
              if (TERMINAL.includes(res.body.status)) final.set(s.order!.id, res.body);
            }),
        );
        return final.size === accepted.length;
      },
      { timeoutMs: LONG_WAIT_MS * 2, intervalMs: 500 },
    );
  } catch {
    const stuck = accepted
      .filter((s) => !final.has(s.order!.id))
      .map((s) => `${s.order!.id} (${last.get(s.order!.id) ?? '?'}, account ${s.trader.account.id})`);
    assert.fail(`${stuck.length} of ${accepted.length} orders never became terminal: ${stuck.join(', ')}`);
  }
  return final;
}

/** Every page of a customer's list endpoint. */
async function allPages<T>(c: Customer, path: string): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const res: Res = await c.http.get(`${path}${sep}limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    assert.equal(res.status, 200, `${path}: ${show(res)}`);
    items.push(...res.body.items);
    cursor = res.body.nextCursor ?? null;
  } while (cursor);
  return items;
}

/**
 * The invariants after the storm, per trader and for the whole bank:
 *  - every request got 202 (funds and prices allow every order), every order filled within its limit;
 *  - the account lists exactly the accepted orders (no order created twice by a retried request);
 *  - the fee is the schedule's (max(1.00, 0.1% × quantity × quote)), charged once, never refunded;
 *    one trade of the shares per order;
 *  - cash = deposit − Σ(quantity × fillPrice half-up + fee), to the cent, nothing reserved;
 *  - each position = Σ quantities bought, nothing reserved;
 *  - the trial balance is balanced, every total zero;
 *  - one order_filled notification per order (recognised by its title), one deposit notification.
 */
export async function assertExactEnd(
  bank: Bank,
  all: Trader[],
  plan: Submitted[],
  final: Map<string, Order>,
): Promise<void> {
  const refused = plan.filter((s) => !s.order);
  assert.equal(
    refused.length,
    0,
    `orders refused: ${refused.map((s) => `${s.request.quantity} ${s.request.assetId} for ${s.trader.account.id}: ${s.refused}`).join('; ')}`,
  );

  // The money must be exact whatever the outcome (a fill moved it once, anything else left no trace);
  // that every order filled (funds and prices allow each) is checked last, so a failure says both.
  const notFilled = [...final.values()].filter((o) => o.status !== 'filled');

  for (const trader of all) {
    const { customer, account } = trader;
    const orders = plan.filter((s) => s.trader === trader).map((s) => final.get(s.order!.id)!);
    const mine = orders.filter((o) => o.status === 'filled');

    // No order created twice: the account's orders are exactly the accepted ones.
    const listed = await allPages<Order>(customer, `/v1/orders?accountId=${account.id}`);
    assert.deepEqual(
      listed.map((o) => o.id).sort(),
      orders.map((o) => o.id).sort(),
      `orders of account ${account.id}: listed ${listed.length}, accepted ${orders.length}`,
    );

    let spent = 0n;
    const bought = new Map<string, bigint>();
    for (const o of mine) {
      assert.ok(o.fillPrice, `order ${o.id} filled without a fill price`);
      assert.ok(
        cents(o.fillPrice) <= cents(limitPrice('buy', o.quotePrice)),
        `order ${o.id} filled at ${o.fillPrice} above its limit (quote ${o.quotePrice})`,
      );
      assert.equal(
        cents(o.fee),
        feeFor(o.quantity, o.quotePrice),
        `fee of order ${o.id}: ${o.fee} for ${o.quantity} at ${o.quotePrice}`,
      );
      spent += notional(o.quantity, o.fillPrice) + cents(o.fee);
      bought.set(o.assetId, (bought.get(o.assetId) ?? 0n) + micros(o.quantity));
    }
    const expected = money(cents(trader.deposit) - spent);

    let lastCash: unknown;
    await eventually(
      async () => {
        const cash = await bank.cash(customer, account.id);
        lastCash = cash;
        return cash.available === expected && cash.reserved === '0.00';
      },
      { timeoutMs: LONG_WAIT_MS, intervalMs: 250 },
    ).catch(() =>
      assert.fail(
        `cash of account ${account.id}: expected ${expected} available / 0.00 reserved (deposit ${trader.deposit} − ${money(spent)} for ${mine.length} fills), last seen ${JSON.stringify(lastCash)}`,
      ),
    );

    for (const [assetId, quantity] of bought) {
      let last: unknown;
      await eventually(
        async () => {
          const p = await bank.position(customer, account.id, assetId);
          last = p.raw ?? p;
          return p.quantity === quantity && p.reserved === 0n;
        },
        { timeoutMs: LONG_WAIT_MS, intervalMs: 250 },
      ).catch(() =>
        assert.fail(
          `position of ${assetId} in ${account.id}: expected ${quantity} µ, last seen ${JSON.stringify(last, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`,
        ),
      );
    }

    // The ledger: one fee (never refunded) and one trade of the shares per filled order; no net
    // effect of any other.
    const ledger = await allPages<LedgerEntry>(customer, `/v1/accounts/${account.id}/transactions`);
    for (const o of orders.filter((o) => o.status !== 'filled')) {
      const entries = ledger.filter((e) => e.orderId === o.id);
      const sums = new Map<string, bigint>();
      for (const e of entries)
        sums.set(
          `${e.asset}/${e.book}`,
          (sums.get(`${e.asset}/${e.book}`) ?? 0n) + (e.amount !== undefined ? cents(e.amount) : micros(e.quantity!)),
        );
      for (const [k, v] of sums)
        assert.equal(v, 0n, `net effect of ${o.status} order ${o.id} on ${k} is ${v}: ${JSON.stringify(entries)}`);
      assert.ok(
        !entries.some((e) => e.kind === 'trade'),
        `a trade for ${o.status} order ${o.id}: ${JSON.stringify(entries)}`,
      );
    }
    for (const o of mine) {
      const entries = ledger.filter((e) => e.orderId === o.id);
      const fees = entries.filter((e) => e.kind === 'fee');
      assert.equal(fees.length, 1, `fee entries of order ${o.id}: ${JSON.stringify(entries)}`);
      assert.equal(cents(fees[0]!.amount!), -cents(o.fee), `fee entry of order ${o.id}: ${JSON.stringify(fees)}`);
      assert.ok(
        !entries.some((e) => e.kind === 'fee_refund'),
        `fee refunded for filled order ${o.id}: ${JSON.stringify(entries)}`,
      );
      const shares = entries.filter((e) => e.kind === 'trade' && e.asset === o.assetId);
      assert.equal(shares.length, 1, `trade entries of ${o.assetId} for order ${o.id}: ${JSON.stringify(entries)}`);
      assert.equal(
        micros(shares[0]!.quantity!),
        micros(o.quantity),
        `shares traded for order ${o.id}: ${JSON.stringify(shares)}`,
      );
    }
  }

  await assertTrialBalanceZero(bank);
  await assertNotificationsOnce(bank, all, plan, final);
  assert.equal(
    notFilled.length,
    0,
    `orders that did not fill (money and notifications were right for them): ${notFilled.map((o) => `${o.id} ${o.status} (${o.reason}) history ${JSON.stringify(o.history.map((h) => `${h.status}@${h.at}`))}`).join('; ')}`,
  );
}

/** The trial balance is balanced with every total zero (polled: postings may still be settling). */
export async function assertTrialBalanceZero(bank: Bank): Promise<void> {
  const admin = await bank.adminLogin();
  let last = '';
  await eventually(
    async () => {
      const res = await admin.http.get('/v1/admin/ledger/trial-balance');
      last = show(res);
      return (
        res.status === 200 &&
        res.body.balanced === true &&
        (res.body.assets as { total: string }[]).every((a) => /^-?0(\.0+)?$/.test(a.total))
      );
    },
    { timeoutMs: LONG_WAIT_MS, intervalMs: 500 },
  ).catch(() => assert.fail(`trial balance not zero: ${last}`));
}

/** One order_filled notification per filled order (its title names side, quantity, asset), and no other duplicate. */
export async function assertNotificationsOnce(
  bank: Bank,
  all: Trader[],
  plan: Submitted[],
  final: Map<string, Order>,
): Promise<void> {
  for (const trader of all) {
    const mine = plan.filter((s) => s.trader === trader).map((s) => final.get(s.order!.id)!);
    // The title of each order's notification: "Order <status>: buy <quantity> <asset>".
    const expectedTitles = mine.map((o) => `Order ${o.status}: buy ${o.quantity} ${o.assetId}`).sort();
    const isOrder = (n: { kind: string }) => n.kind.startsWith('order_');
    let items: { kind: string; title: string }[] = [];
    await eventually(
      async () => {
        items = await bank.notifications(trader.customer);
        return items.filter(isOrder).length >= mine.length;
      },
      { timeoutMs: LONG_WAIT_MS, intervalMs: 500 },
    ).catch(() => undefined);
    const seen = items
      .filter(isOrder)
      .map((n) => n.title)
      .sort();
    assert.deepEqual(
      seen,
      expectedTitles,
      `order notifications of customer ${trader.customer.id} (account ${trader.account.id})`,
    );
    const filled = items.filter((n) => n.kind === 'order_filled');
    assert.equal(
      filled.length,
      mine.filter((o) => o.status === 'filled').length,
      `order_filled notifications of customer ${trader.customer.id}`,
    );
    const deposits = items.filter((n) => n.kind === 'deposit_completed');
    assert.equal(
      deposits.length,
      1,
      `deposit notifications of customer ${trader.customer.id}: ${JSON.stringify(deposits)}`,
    );
  }
}

/** Sum of a counter (all label sets) on one process's /metrics. */
export async function metricTotal(port: number, name: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(res.status, 200, `/metrics on port ${port}`);
  const text = await res.text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/**
 * A RabbitMQ vhost of its own for one test file's system (so no queue is shared with another system
 * on the same broker), made with `rabbitmqctl`; undefined when it is not available (a remote broker):
 * then the URL's own vhost is used.
 */
export async function privateVhost(
  baseUrl: string,
  name: string,
): Promise<{ url: string; remove(): Promise<void> } | undefined> {
  try {
    await execFileP('rabbitmqctl', ['add_vhost', name], { timeout: 30_000 });
  } catch {
    return undefined;
  }
  const user = decodeURIComponent(new URL(baseUrl).username || 'guest');
  await execFileP('rabbitmqctl', ['set_permissions', '-p', name, user, '.*', '.*', '.*']);
  const url = new URL(baseUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return {
    url: url.toString(),
    remove: () =>
      execFileP('rabbitmqctl', ['delete_vhost', name]).then(
        () => undefined,
        () => undefined,
      ),
  };
}
