/**
 * The customer's statement: one line per posting that moved cash into or out of the account, as a
 * brokerage statement shows it (decision 25). A posting's amount is its net effect on the
 * account's cash, both books together: a reservation or a release only moves cash between the
 * account's available and reserved books (net zero) and shows no line; a buy's settlement shows
 * once, as the cost of the fill (what was reserved, less what it released); a withdrawal shows
 * when it completes. The running balance is computed when the statement is read, in posting time
 * order, so the order the events arrived in does not matter.
 */
import { formatMoney, formatQuantity, type Cents, type Micros } from '@simplebank/money';

export type LedgerKind = 'deposit' | 'withdrawal' | 'reservation' | 'release' | 'fee' | 'fee_refund' | 'trade';
export type LineKind = 'deposit' | 'withdrawal' | 'buy' | 'sell' | 'fee' | 'fee_refund';

export interface PostingEntry {
  asset: string;
  book: 'available' | 'reserved';
  amount: string;
}

/** A posting as the projection keeps it: netted when it is applied. */
export interface NettedPosting {
  postingId: string;
  kind: LedgerKind;
  at: Date;
  orderId: string | null;
  paymentId: string | null;
  price: Cents | null;
  /** The cash the posting moved into (+) or out of (−) the account, both books. */
  cash: Cents;
  /** The ticker it moved, and by how much (both books), when it moved one. */
  assetId: string | null;
  quantity: Micros | null;
}

/** What the statement says of an order (from the orders projection) to describe its fee. */
export interface OrderSummary {
  side: 'buy' | 'sell';
  quantity: Micros;
  assetId: string;
}

export interface StatementLine {
  at: string;
  kind: LineKind;
  description: string;
  amount: string;
  balance: string;
}

const CASH = 'USD';

/**
 * Nets a posting's entries: the cash (two decimals) and the position (six) the account gained or
 * lost. `parseMoney` and `parseQuantity` do the parsing; passed in so this stays exact and pure.
 */
export function netEntries(
  entries: readonly PostingEntry[],
  parse: { money: (s: string) => Cents; quantity: (s: string) => Micros },
): { cash: Cents; assetId: string | null; quantity: Micros | null } {
  let cash = 0n;
  let assetId: string | null = null;
  let quantity: Micros | null = null;
  for (const e of entries) {
    if (e.asset === CASH) cash += parse.money(e.amount);
    else {
      assetId = e.asset;
      quantity = (quantity ?? 0n) + parse.quantity(e.amount.replace(/^-/, '')) * (e.amount.startsWith('-') ? -1n : 1n);
    }
  }
  return { cash, assetId, quantity };
}

const abs = (n: bigint) => (n < 0n ? -n : n);

function describeOrder(order: OrderSummary | undefined): string {
  return order ? `${order.side} ${formatQuantity(order.quantity)} ${order.assetId}` : 'order';
}

/** The line a posting shows, without its balance; null for one that moved no cash (a reservation, a release). */
export function lineOf(
  p: NettedPosting,
  order?: OrderSummary,
): { kind: LineKind; description: string; amount: Cents } | null {
  if (p.kind === 'reservation' || p.kind === 'release' || p.cash === 0n) return null;
  switch (p.kind) {
    case 'deposit':
      return { kind: 'deposit', description: 'Deposit', amount: p.cash };
    case 'withdrawal':
      return { kind: 'withdrawal', description: 'Withdrawal', amount: p.cash };
    case 'fee':
      return { kind: 'fee', description: `Fee: ${describeOrder(order)}`, amount: p.cash };
    case 'fee_refund':
      return { kind: 'fee_refund', description: `Fee refund: ${describeOrder(order)}`, amount: p.cash };
    case 'trade': {
      const side = p.cash < 0n ? 'buy' : 'sell';
      const what =
        p.assetId !== null && p.quantity !== null
          ? `${formatQuantity(abs(p.quantity))} ${p.assetId}`
          : order
            ? `${formatQuantity(order.quantity)} ${order.assetId}`
            : 'shares';
      const price = p.price !== null ? ` @ ${formatMoney(p.price)}` : '';
      return { kind: side, description: `${side === 'buy' ? 'Buy' : 'Sell'} ${what}${price}`, amount: p.cash };
    }
  }
}

/** Orders postings as the statement lists them: by time, then by id (a stable order for equal times). */
export function byPostingTime(a: NettedPosting, b: NettedPosting): number {
  return a.at.getTime() - b.at.getTime() || (a.postingId < b.postingId ? -1 : a.postingId > b.postingId ? 1 : 0);
}

/** The statement's lines with their running balances from `opening`, and the closing balance. */
export function statementOf(
  opening: Cents,
  postings: readonly NettedPosting[],
  orders: ReadonlyMap<string, OrderSummary>,
): { lines: StatementLine[]; closing: Cents } {
  let balance = opening;
  const lines: StatementLine[] = [];
  for (const p of [...postings].sort(byPostingTime)) {
    const line = lineOf(p, p.orderId ? orders.get(p.orderId) : undefined);
    if (!line) continue;
    balance += line.amount;
    lines.push({
      at: p.at.toISOString(),
      kind: line.kind,
      description: line.description,
      amount: formatMoney(line.amount),
      balance: formatMoney(balance),
    });
  }
  return { lines, closing: balance };
}
