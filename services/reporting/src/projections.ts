/**
 * The projections: each consumed event is kept in the event log and applied to the read models,
 * in the consumer's transaction. The same `apply` replays the log when the projections are
 * rebuilt. Every projection is order-independent and idempotent: orders fold by status rank and
 * time (domain/orders.ts), fees and postings are rows keyed by their own ids, and the statement's
 * running balance is computed when it is read.
 */
import type { Queryable, Tx } from '@simplebank/chassis';
import { feesContract } from '@simplebank/fees/contract';
import { parseMoney, parseQuantity } from '@simplebank/money';
import { ordersContract } from '@simplebank/orders/contract';
import { transactionsContract } from '@simplebank/transactions/contract';
import { foldOrder, type OrderStatus } from './domain/orders.ts';
import { netEntries, type LedgerKind, type PostingEntry } from './domain/statement.ts';
import * as store from './store.ts';

export const ORDER_STATUS_CHANGED = ordersContract.events.OrderStatusChanged.type;
export const FEE_CHARGED = feesContract.events.FeeCharged.type;
export const FEE_REFUNDED = feesContract.events.FeeRefunded.type;
export const LEDGER_POSTED = transactionsContract.events.LedgerPosted.type;

type OrderData = {
  orderId: string;
  accountId: string;
  customerId: string;
  assetId: string;
  side: 'buy' | 'sell';
  quantity: string;
  status: OrderStatus;
  reason: string | null;
  fillPrice: string | null;
  fee: string;
  at: string;
  source?: 'customer' | 'strategy';
  investmentId?: string;
};
type FeeData = { feeId: string; orderId: string; accountId: string; amount: string; at: string };
type PostingData = {
  postingId: string;
  accountId: string;
  kind: LedgerKind;
  at: string;
  orderId?: string;
  paymentId?: string;
  price?: string;
  entries: PostingEntry[];
};

/** Applies one event to the projections (an event of another type changes nothing). */
export async function apply(tx: Queryable, type: string, data: unknown): Promise<void> {
  switch (type) {
    case ORDER_STATUS_CHANGED: {
      const d = data as OrderData;
      const row = await store.lockOrder(tx, d.orderId);
      await store.saveOrder(
        tx,
        foldOrder(row, {
          orderId: d.orderId,
          accountId: d.accountId,
          customerId: d.customerId,
          assetId: d.assetId,
          side: d.side,
          quantity: parseQuantity(d.quantity),
          status: d.status,
          reason: d.reason,
          fillPrice: d.fillPrice === null ? null : parseMoney(d.fillPrice),
          fee: parseMoney(d.fee),
          at: new Date(d.at),
          // Events from before orders had sources are customers' orders.
          source: d.source ?? 'customer',
          investmentId: d.investmentId ?? null,
        }),
      );
      return;
    }
    case FEE_CHARGED:
    case FEE_REFUNDED: {
      const d = data as FeeData;
      await store.saveFeeEvent(tx, {
        feeId: d.feeId,
        kind: type === FEE_CHARGED ? 'charged' : 'refunded',
        orderId: d.orderId,
        accountId: d.accountId,
        amount: parseMoney(d.amount),
        at: d.at,
      });
      return;
    }
    case LEDGER_POSTED: {
      const d = data as PostingData;
      const net = netEntries(d.entries, { money: parseMoney, quantity: parseQuantity });
      await store.savePosting(tx, d.accountId, {
        postingId: d.postingId,
        kind: d.kind,
        at: new Date(d.at),
        orderId: d.orderId ?? null,
        paymentId: d.paymentId ?? null,
        price: d.price === undefined ? null : parseMoney(d.price),
        ...net,
      });
      return;
    }
  }
}

/** A consumed event: kept in the log, and applied unless the log had it already (a replay). */
export async function consume(
  tx: Tx,
  envelope: { id: string; type: string; time: string },
  data: unknown,
): Promise<boolean> {
  if (!(await store.retainEvent(tx, { id: envelope.id, type: envelope.type, time: envelope.time, data }))) return false;
  await apply(tx, envelope.type, data);
  return true;
}

const REPLAY_BATCH = 500;

/** Empties the projections and applies every retained event again, in the order they were first applied. */
export async function rebuild(tx: Tx): Promise<number> {
  await store.clearProjections(tx);
  let after = '0';
  let replayed = 0;
  for (;;) {
    const batch = await store.eventsAfter(tx, after, REPLAY_BATCH);
    for (const e of batch) await apply(tx, e.type, e.data);
    replayed += batch.length;
    if (batch.length < REPLAY_BATCH) return replayed;
    after = batch[batch.length - 1]!.seq;
  }
}
