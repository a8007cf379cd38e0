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

interface PostResult {
  postingId: string;
  /** The posting made under the key before: nothing was written now. */
  existing: store.PostingRow | undefined;
}

/** What a posting is decided on, read under the account's lock. */
type Context = { balances: AccountBalances; reservation: store.ReservationRow | undefined };

/**
 * Posts at most once under `key`, in four statements: the account's lock, its context (the key's
 * earlier posting, the books, the reservation named), the posting with everything it changes, and
 * `LedgerPosted` through the outbox. `build` sees the context and returns the posting, or null to
 * post nothing. A refusal of the domain rules becomes a chassis error.
 */
export async function postOnce(
  tx: Tx,
  args: {
    key: string;
    accountId: string;
    cause: store.Cause;
    reservationId?: string | undefined;
    /** Refuses the call (by throwing) whatever was posted under the key before. */
    admit?: (context: Context) => void;
    build: (
      context: Context,
    ) => { posting: Posting; cause?: store.Cause; reservation?: store.ReservationChange | undefined } | null;
  },
): Promise<PostResult | null> {
  await store.lockAccount(tx, args.accountId);
  const context = await store.loadPostingContext(tx, args.key, args.accountId, args.reservationId);
  args.admit?.(context);
  const existing = context.existing;
  if (existing) {
    if (existing.account_id !== args.accountId)
      throw new ConflictError('posting_conflict', `${args.key} was already posted for another account`);
    return { postingId: existing.id, existing };
  }
  let built;
  let balancesAfter: AccountBalances;
  try {
    built = args.build(context);
    if (!built) return null;
    balancesAfter = applyPosting(context.balances, built.posting);
  } catch (err) {
    throw toServiceError(err);
  }
  const postingId = randomUUID();
  const posting = built.posting;
  const cause = { ...args.cause, ...built.cause };
  const at = await store.insertPosting(tx, {
    id: postingId,
    key: args.key,
    posting,
    cause,
    balancesAfter,
    entryIds: posting.entries.map(() => randomUUID()),
    reservation: built.reservation,
  });
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
      entries: customerEntries(posting).map((e) => ({
        asset: e.asset,
        book: e.book,
        amount: formatAmount(e.asset, e.amount),
      })),
    },
    { key: posting.accountId, id: postingId },
  );
  return { postingId, existing: undefined };
}

/**
 * The reservation a posting uses, as read under the lock. It exists: found before the lock or by
 * `admit`, and reservations are never deleted.
 */
function heldBy(context: Context): store.ReservationRow {
  return context.reservation!;
}

/**
 * The amount of a payment, within the limit per payment: the gateway and payments refuse more at
 * the door; the ledger refuses it again rather than post what no payment may be.
 */
function paymentAmount(amount: string): bigint {
  const cents = parseMoney(amount);
  if (cents > MAX_PAYMENT_CENTS)
    throw new ValidationError(`A payment is at most ${formatMoney(MAX_PAYMENT_CENTS)}`, [
      { path: '/amount', message: `must be at most ${formatMoney(MAX_PAYMENT_CENTS)} (the limit per payment)` },
    ]);
  return cents;
}

/** A completed deposit: external → available, once per payment. Answers the posting. */
export async function deposit(tx: Tx, p: { accountId: string; paymentId: string; amount: string }): Promise<string> {
  paymentAmount(p.amount);
  const result = await postOnce(tx, {
    key: `deposit:${p.paymentId}`,
    accountId: p.accountId,
    cause: { paymentId: p.paymentId },
    build: () => ({ posting: depositPosting(p.accountId, parseMoney(p.amount)) }),
  });
  return result!.postingId;
}

/** available → reserved; answers the reservation (the same one for a repeated key). */
export async function reserve(
  tx: Tx,
  r: {
    key: string;
    accountId: string;
    asset: string;
    amount: bigint;
    orderId?: string | undefined;
    paymentId?: string | undefined;
  },
): Promise<string> {
  const reservationId = randomUUID();
  const result = await postOnce(tx, {
    key: `reservation:${r.key}`,
    accountId: r.accountId,
    cause: { orderId: r.orderId, paymentId: r.paymentId, reservationId },
    build: () => ({
      posting: reservationPosting(r.accountId, r.asset, r.amount),
      reservation: {
        open: { id: reservationId, asset: r.asset, amount: r.amount, orderId: r.orderId, paymentId: r.paymentId },
      },
    }),
  });
  return result!.existing ? result!.existing.reservation_id! : reservationId;
}

/** Gives back what is left of a reservation, once: false when nothing was left. */
export async function release(tx: Tx, reservationId: string): Promise<boolean> {
  const found = await store.getReservation(tx, reservationId);
  if (!found) throw new NotFoundError('No such reservation');
  const result = await postOnce(tx, {
    key: `release:${reservationId}`,
    accountId: found.account_id,
    cause: { orderId: found.order_id ?? undefined, paymentId: found.payment_id ?? undefined, reservationId },
    reservationId,
    build: (context) => {
      const r = heldBy(context);
      if (r.status !== 'held') return null;
      return {
        posting: releasePosting(r.account_id, r.asset, r.remaining),
        reservation: { close: { id: reservationId, status: 'released' } },
      };
    },
  });
  return result !== null && !result.existing;
}

/** A completed withdrawal consumes its reservation: reserved → external. */
export async function consumeWithdrawal(
  tx: Tx,
  p: { accountId: string; paymentId: string; amount: string; reservationId?: string | undefined },
): Promise<string> {
  paymentAmount(p.amount);
  const found = p.reservationId
    ? await store.getReservation(tx, p.reservationId)
    : await store.findReservationByPayment(tx, p.paymentId);
  if (!found || found.account_id !== p.accountId || found.asset !== CASH)
    throw new NotFoundError(`No cash reservation of ${p.accountId} for withdrawal ${p.paymentId}`);
  const amount = parseMoney(p.amount);
  const result = await postOnce(tx, {
    key: `withdrawal:${p.paymentId}`,
    accountId: p.accountId,
    cause: { paymentId: p.paymentId, reservationId: found.id },
    reservationId: found.id,
    build: (context) => {
      const r = heldBy(context);
      const held = r.status === 'held';
      const posting = consumeWithdrawalPosting(p.accountId, amount, held ? r.remaining : 0n);
      return { posting, reservation: held ? { close: { id: r.id, status: 'consumed' } } : undefined };
    },
  });
  return result!.postingId;
}

export async function chargeFee(
  tx: Tx,
  f: { accountId: string; amount: string; orderId: string; feeId: string },
): Promise<string> {
  const result = await postOnce(tx, {
    key: `fee:${f.feeId}`,
    accountId: f.accountId,
    cause: { orderId: f.orderId, feeId: f.feeId },
    build: () => ({ posting: feePosting(f.accountId, parseMoney(f.amount)) }),
  });
  return result!.postingId;
}

export async function refundFee(
  tx: Tx,
  f: { accountId: string; amount: string; orderId: string; feeId: string },
): Promise<string> {
  // Only a fee this ledger charged can be refunded, and only what it charged: a refund is the
  // reversal of `fee:<feeId>`, never money from nowhere.
  const charge = await store.findPosting(tx, `fee:${f.feeId}`);
  if (!charge || charge.account_id !== f.accountId)
    throw new NotFoundError('No fee was charged under this fee id for this account');
  const charged = await store.chargedCash(tx, charge.id, f.accountId);
  if (parseMoney(f.amount) !== charged)
    throw new ConflictError('refund_mismatch', `The fee charged was ${formatMoney(charged)}, not ${f.amount}`);
  const result = await postOnce(tx, {
    key: `fee_refund:${f.feeId}`,
    accountId: f.accountId,
    cause: { orderId: f.orderId, feeId: f.feeId },
    build: () => ({ posting: feeRefundPosting(f.accountId, charged) }),
  });
  return result!.postingId;
}

export async function settleTrade(
  tx: Tx,
  t: {
    reservationId: string;
    orderId: string;
    accountId: string;
    side: 'buy' | 'sell';
    assetId: string;
    quantity: string;
    fillPrice: string;
  },
): Promise<{ postingId: string; cashAmount: string }> {
  const quantity = parseQuantity(t.quantity);
  const price = parseMoney(t.fillPrice);
  const reservedAsset = t.side === 'buy' ? CASH : t.assetId;
  if (t.assetId === CASH) throw new ValidationError('A trade is of an asset, not of cash');
  const result = await postOnce(tx, {
    key: `trade:${t.reservationId}`,
    accountId: t.accountId,
    cause: { orderId: t.orderId, reservationId: t.reservationId, price },
    reservationId: t.reservationId,
    admit: ({ reservation: r }) => {
      if (!r || r.account_id !== t.accountId || r.asset !== reservedAsset)
        throw new NotFoundError('No such reservation for this account and trade');
    },
    build: (context) => {
      const r = heldBy(context);
      const held = r.status === 'held';
      const input = {
        accountId: t.accountId,
        assetId: t.assetId,
        quantity,
        fillPrice: price,
        reservedRemaining: held ? r.remaining : 0n,
      };
      const settlement = t.side === 'buy' ? settleBuy(input) : settleSell(input);
      return {
        posting: settlement.posting,
        reservation: held ? { close: { id: r.id, status: 'consumed' } } : undefined,
      };
    },
  });
  // The cash of a fill follows from its quantity and price alone (a repeat answers the same).
  return { postingId: result!.postingId, cashAmount: formatMoney(notional(quantity, price)) };
}

export { store };
