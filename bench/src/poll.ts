/**
 * After a load step: the accepted orders, read back through the public API until each is terminal or
 * the deadline passes. Each trader's orders are listed newest first (`GET /v1/orders?accountId=`,
 * 200 a page), which costs one or two requests per trader a round instead of one per order.
 */
import type { Trader } from './bank.ts';
import { mapLimit, sleep, type Client } from './http.ts';

export const TERMINAL = new Set(['filled', 'rejected', 'failed', 'canceled', 'expired']);

interface OrderView {
  id: string;
  status: string;
  createdAt: string;
  history: { status: string; at: string }[];
}

export interface Polled {
  /** Filled orders: when the order was created (pending) and when it filled, by its own history (epoch ms). */
  fills: { pendingAt: number; filledAt: number }[];
  /** Last seen status of every accepted order. */
  outcomes: Record<string, number>;
  /** Not terminal when polling stopped. */
  pending: number;
  /** When polling stopped (epoch ms). */
  doneAt: number;
}

export async function pollOrders(
  client: Client,
  accepted: { id: string; trader: Trader }[],
  o: { startedAt: number; deadline: number },
): Promise<Polled> {
  const byAccount = new Map<string, { trader: Trader; open: Set<string> }>();
  for (const a of accepted) {
    const entry = byAccount.get(a.trader.accountId) ?? { trader: a.trader, open: new Set<string>() };
    entry.open.add(a.id);
    byAccount.set(a.trader.accountId, entry);
  }
  const last = new Map<string, OrderView>();
  for (;;) {
    const open = [...byAccount.values()].filter((e) => e.open.size > 0);
    if (open.length === 0 || Date.now() > o.deadline) break;
    await mapLimit(open, 8, async (entry) => {
      let cursor: string | null = null;
      let unseen = entry.open.size;
      do {
        const path: string = `/v1/orders?accountId=${encodeURIComponent(entry.trader.accountId)}&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const res = await client.get(path, entry.trader.token).catch(() => undefined);
        if (!res || res.status !== 200) return; // overloaded or away: the next round asks again
        const items = res.body.items as OrderView[];
        for (const order of items) {
          if (!entry.open.has(order.id)) continue;
          unseen--;
          last.set(order.id, order);
          if (TERMINAL.has(order.status)) entry.open.delete(order.id);
        }
        // Newest first: once past every order we look for, or older than the step, stop paging.
        const oldest = items[items.length - 1];
        if (unseen <= 0 || !oldest || Date.parse(oldest.createdAt) < o.startedAt - 60_000) break;
        cursor = res.body.nextCursor ?? null;
      } while (cursor);
    });
    if ([...byAccount.values()].some((e) => e.open.size > 0) && Date.now() <= o.deadline) await sleep(250);
  }
  const outcomes: Record<string, number> = {};
  const fills: Polled['fills'] = [];
  let pending = 0;
  for (const a of accepted) {
    const order = last.get(a.id);
    const status = order?.status ?? 'unseen';
    outcomes[status] = (outcomes[status] ?? 0) + 1;
    if (!TERMINAL.has(status)) pending++;
    if (order && status === 'filled') {
      const pendingAt = order.history.find((h) => h.status === 'pending')?.at ?? order.createdAt;
      const filledAt = order.history.find((h) => h.status === 'filled')?.at;
      if (filledAt) fills.push({ pendingAt: Date.parse(pendingAt), filledAt: Date.parse(filledAt) });
    }
  }
  return { fills, outcomes, pending, doneAt: Date.now() };
}
