/**
 * The ledger's operations, each in the caller's transaction: take the account's lock, skip a
 * posting already made under the same key, check the books with the domain rules, write the
 * posting and publish `LedgerPosted` through the outbox.
 */
import { randomUUID } from 'node:crypto';
import { BusinessRuleError, ConflictError, NotFoundError, ValidationError, type Tx } from '@simplebank/chassis';
import { MAX_PAYMENT_CENTS, formatMoney, formatQuantity, notional, parseMoney, parseQuantity } from '@simplebank/money';
import { transactionsContract } from './contract.ts';
import {
  CASH,
  LedgerRuleError,
  applyPosting,
  customerEntries,
  depositPosting,
  feePosting,
  feeRefundPosting,
  releasePosting,
  reservationPosting,
  type AccountBalances,
  type Posting,
} from './domain/ledger.ts';
import { consumeWithdrawal as consumeWithdrawalPosting, settleBuy, settleSell } from './domain/settlement.ts';
import * as store from './store.ts';

/** Money for cash, a quantity for a ticker. */
export function formatAmount(asset: string, amount: bigint): string {
  return asset === CASH ? formatMoney(amount) : formatQuantity(amount);
}

/** A domain refusal as the chassis error the contract names. */
export function toServiceError(err: unknown): unknown {
  if (!(err instanceof LedgerRuleError)) return err;
  if (err.code === 'validation_failed') return new ValidationError(err.message);
  return new BusinessRuleError(err.code, err.message);
}

interface PostResult<X> {
  postingId: string;
  /** True when the key had been posted before: nothing was written now. */
  duplicate: boolean;
  extra: X | undefined;
}

/**
 * Posts at most once under `key`. `build` sees the account's balances (under its lock) and returns
 * the posting, or null to post nothing. A refusal of the domain rules becomes a chassis error.
 */
export async function postOnce<X = undefined>(
  tx: Tx,
  args: {
    key: string;
    accountId: string;
    cause: store.Cause;
    build: (balances: AccountBalances) => Promise<{ posting: Posting; cause?: store.Cause; extra?: X; after?: (postingId: string) => Promise<void> } | null>;
  },
): Promise<PostResult<X> | null> {
  await store.lockAccount(tx, args.accountId);
  const existing = await store.findPosting(tx, args.key);
  if (existing) {
    if (existing.account_id !== args.accountId) throw new ConflictError('posting_conflict', `${args.key} was already posted for another account`);
    return { postingId: existing.id, duplicate: true, extra: undefined };
  }
  const balances = await store.loadBalances(tx, args.accountId);
  let built;
  let balancesAfter: AccountBalances;
  try {
    built = await args.build(balances);
    if (!built) return null;
    balancesAfter = applyPosting(balances, built.posting);
  } catch (err) {
    throw toServiceError(err);
  }
  const postingId = randomUUID();
  const posting = built.posting;
  const cause = { ...args.cause, ...built.cause };
  const at = await store.insertPosting(tx, { id: postingId, key: args.key, posting, cause, balancesAfter, entryIds: posting.entries.map(() => randomUUID()) });
  await built.after?.(postingId);
  await tx.publish(
    transactionsContract.events.LedgerPosted,
    {
      postingId,
      accountId: posting.accountId,
      kind: posting.kind,
      at: at.toISOString(),
      ...(cause.orderId ? { orderId: cause.orderId } : {}),
      ...(cause.paymentId ? { paymentId: cause.paymentId } : {}),
      ...(cause.price !== undefined ? { price: formatMoney(cause.price) } : {}),
      entries: customerEntries(posting).map((e) => ({ asset: e.asset, book: e.book, amount: formatAmount(e.asset, e.amount) })),
    },
    { key: posting.accountId, id: postingId },
  );
  return { postingId, duplicate: false, extra: built.extra };
}

/**
 * The amount of a payment, within the limit per payment: the gateway and payments refuse more at
 * the door; the ledger refuses it again rather than post what no payment may be.
 */
function paymentAmount(amount: string): bigint {
  const cents = parseMoney(amount);
  if (cents > MAX_PAYMENT_CENTS) throw new ValidationError(`A payment is at most ${formatMoney(MAX_PAYMENT_CENTS)}`, [{ path: '/amount', message: `must be at most ${formatMoney(MAX_PAYMENT_CENTS)} (the limit per payment)` }]);
  return cents;
}

/** A completed deposit: external → available, once per payment. Answers the posting. */
export async function deposit(tx: Tx, p: { accountId: string; paymentId: string; amount: string }): Promise<string> {
  paymentAmount(p.amount);
  const result = await postOnce(tx, {
    key: `deposit:${p.paymentId}`,
    accountId: p.accountId,
    cause: { paymentId: p.paymentId },
    build: async () => ({ posting: depositPosting(p.accountId, parseMoney(p.amount)) }),
  });
  return result!.postingId;
}

/** available → reserved; answers the reservation (the same one for a repeated key). */
export async function reserve(tx: Tx, r: { key: string; accountId: string; asset: string; amount: bigint; orderId?: string | undefined; paymentId?: string | undefined }): Promise<string> {
  const reservationId = randomUUID();
  const result = await postOnce(tx, {
    key: `reservation:${r.key}`,
    accountId: r.accountId,
    cause: { orderId: r.orderId, paymentId: r.paymentId, reservationId },
    build: async () => ({
      posting: reservationPosting(r.accountId, r.asset, r.amount),
      after: () => store.insertReservation(tx, { id: reservationId, accountId: r.accountId, asset: r.asset, amount: r.amount, orderId: r.orderId, paymentId: r.paymentId }),
    }),
  });
  if (result!.duplicate) {
    const existing = await store.findPosting(tx, `reservation:${r.key}`);
    return existing!.reservation_id!;
  }
  return reservationId;
}

/** Gives back what is left of a reservation, once: false when nothing was left. */
export async function release(tx: Tx, reservationId: string): Promise<boolean> {
  const found = await store.getReservation(tx, reservationId);
  if (!found) throw new NotFoundError('No such reservation');
  const result = await postOnce(tx, {
    key: `release:${reservationId}`,
    accountId: found.account_id,
    cause: { orderId: found.order_id ?? undefined, paymentId: found.payment_id ?? undefined, reservationId },
    build: async () => {
      const r = (await store.getReservation(tx, reservationId, { forUpdate: true }))!;
      if (r.status !== 'held') return null;
      return { posting: releasePosting(r.account_id, r.asset, r.remaining), after: () => store.closeReservation(tx, reservationId, 'released') };
    },
  });
  return result !== null && !result.duplicate;
}

/** A completed withdrawal consumes its reservation: reserved → external. */
export async function consumeWithdrawal(tx: Tx, p: { accountId: string; paymentId: string; amount: string; reservationId?: string | undefined }): Promise<string> {
  paymentAmount(p.amount);
  const found = p.reservationId ? await store.getReservation(tx, p.reservationId) : await store.findReservationByPayment(tx, p.paymentId);
  if (!found || found.account_id !== p.accountId || found.asset !== CASH) throw new NotFoundError(`No cash reservation of ${p.accountId} for withdrawal ${p.paymentId}`);
  const amount = parseMoney(p.amount);
  const result = await postOnce(tx, {
    key: `withdrawal:${p.paymentId}`,
    accountId: p.accountId,
    cause: { paymentId: p.paymentId, reservationId: found.id },
    build: async () => {
      const r = (await store.getReservation(tx, found.id, { forUpdate: true }))!;
      const remaining = r.status === 'held' ? r.remaining : 0n;
      const posting = consumeWithdrawalPosting(p.accountId, amount, remaining);
      return { posting, after: async () => (r.status === 'held' ? store.closeReservation(tx, r.id, 'consumed') : undefined) };
    },
  });
  return result!.postingId;
}

export async function chargeFee(tx: Tx, f: { accountId: string; amount: string; orderId: string; feeId: string }): Promise<string> {
  const result = await postOnce(tx, {
    key: `fee:${f.feeId}`,
    accountId: f.accountId,
    cause: { orderId: f.orderId, feeId: f.feeId },
    build: async () => ({ posting: feePosting(f.accountId, parseMoney(f.amount)) }),
  });
  return result!.postingId;
}

export async function refundFee(tx: Tx, f: { accountId: string; amount: string; orderId: string; feeId: string }): Promise<string> {
  // Only a fee this ledger charged can be refunded, and only what it charged: a refund is the
  // reversal of `fee:<feeId>`, never money from nowhere.
  const charge = await store.findPosting(tx, `fee:${f.feeId}`);
  if (!charge || charge.account_id !== f.accountId) throw new NotFoundError('No fee was charged under this fee id for this account');
  const charged = await store.chargedCash(tx, charge.id, f.accountId);
  if (parseMoney(f.amount) !== charged) throw new ConflictError('refund_mismatch', `The fee charged was ${formatMoney(charged)}, not ${f.amount}`);
  const result = await postOnce(tx, {
    key: `fee_refund:${f.feeId}`,
    accountId: f.accountId,
    cause: { orderId: f.orderId, feeId: f.feeId },
    build: async () => ({ posting: feeRefundPosting(f.accountId, charged) }),
  });
  return result!.postingId;
}

export async function settleTrade(
  tx: Tx,
  t: { reservationId: string; orderId: string; accountId: string; side: 'buy' | 'sell'; assetId: string; quantity: string; fillPrice: string },
): Promise<{ postingId: string; cashAmount: string }> {
  const quantity = parseQuantity(t.quantity);
  const price = parseMoney(t.fillPrice);
  const found = await store.getReservation(tx, t.reservationId);
  const reservedAsset = t.side === 'buy' ? CASH : t.assetId;
  if (!found || found.account_id !== t.accountId || found.asset !== reservedAsset) throw new NotFoundError('No such reservation for this account and trade');
  if (t.assetId === CASH) throw new ValidationError('A trade is of an asset, not of cash');
  const result = await postOnce(tx, {
    key: `trade:${t.reservationId}`,
    accountId: t.accountId,
    cause: { orderId: t.orderId, reservationId: t.reservationId, price },
    build: async () => {
      const r = (await store.getReservation(tx, t.reservationId, { forUpdate: true }))!;
      const input = { accountId: t.accountId, assetId: t.assetId, quantity, fillPrice: price, reservedRemaining: r.status === 'held' ? r.remaining : 0n };
      const settlement = t.side === 'buy' ? settleBuy(input) : settleSell(input);
      return { posting: settlement.posting, after: async () => (r.status === 'held' ? store.closeReservation(tx, r.id, 'consumed') : undefined) };
    },
  });
  // The cash of a fill follows from its quantity and price alone (a repeat answers the same).
  return { postingId: result!.postingId, cashAmount: formatMoney(notional(quantity, price)) };
}

export { store };
