/**
 * Trade settlement (the fill, the saga's pivot), pure arithmetic.
 *
 * Buy of q at F: cost = q × F rounded half-up to the cent. The cost comes out of the reservation
 * (reserved at q × limit, rounded up, so a fill within the limit always fits); what is left of the
 * reservation goes back to available cash; the position's q is added to available. Should the
 * reservation not cover the cost (it was released, or the fill was above the limit), the shortfall
 * comes from available cash — a fill cannot be undone, so it must settle if the money is there.
 *
 * Sell of q at F: the reserved q goes to `exchange` (any shortfall from the available position,
 * any excess of the reservation back to available); proceeds = q × F half-up go to available cash.
 */
import { notional, type Cents, type Micros } from '@simplebank/money';
import { CASH, LedgerRuleError, makePosting, type Posting } from './ledger.ts';

export interface Split {
  /** Taken from the reservation. */
  fromReserved: bigint;
  /** Taken from the available book (when the reservation falls short). */
  fromAvailable: bigint;
  /** The rest of the reservation, given back to available. */
  released: bigint;
}

/** How `needed` is covered by a reservation with `remaining` left. */
export function splitAgainstReservation(needed: bigint, remaining: bigint): Split {
  if (needed < 0n || remaining < 0n) throw new RangeError('needed and remaining must be non-negative');
  const fromReserved = needed < remaining ? needed : remaining;
  return { fromReserved, fromAvailable: needed - fromReserved, released: remaining - fromReserved };
}

export interface Settlement extends Split {
  posting: Posting;
  /** Buy: what the fill cost; sell: what it brought. Cents. */
  cashAmount: Cents;
}

export interface TradeInput {
  accountId: string;
  assetId: string;
  quantity: Micros;
  fillPrice: Cents;
  /** What is left of the order's reservation (cash for a buy, the position for a sell). */
  reservedRemaining: bigint;
}

function checkTrade(t: TradeInput): void {
  if (t.assetId === CASH) throw new LedgerRuleError('validation_failed', 'A trade is of an asset, not of cash');
  if (t.quantity <= 0n) throw new LedgerRuleError('validation_failed', 'A trade quantity must be greater than zero');
  if (t.fillPrice < 0n) throw new LedgerRuleError('validation_failed', 'A fill price cannot be negative');
}

export function settleBuy(t: TradeInput): Settlement {
  checkTrade(t);
  const cost = notional(t.quantity, t.fillPrice);
  const split = splitAgainstReservation(cost, t.reservedRemaining);
  const posting = makePosting('trade', t.accountId, [
    { book: { accountId: t.accountId, book: 'reserved' }, asset: CASH, amount: -t.reservedRemaining },
    { book: { accountId: t.accountId, book: 'available' }, asset: CASH, amount: split.released - split.fromAvailable },
    { book: { system: 'exchange' }, asset: CASH, amount: cost },
    { book: { system: 'exchange' }, asset: t.assetId, amount: -t.quantity },
    { book: { accountId: t.accountId, book: 'available' }, asset: t.assetId, amount: t.quantity },
  ]);
  return { ...split, posting, cashAmount: cost };
}

export function settleSell(t: TradeInput): Settlement {
  checkTrade(t);
  const proceeds = notional(t.quantity, t.fillPrice);
  const split = splitAgainstReservation(t.quantity, t.reservedRemaining);
  const posting = makePosting('trade', t.accountId, [
    { book: { accountId: t.accountId, book: 'reserved' }, asset: t.assetId, amount: -t.reservedRemaining },
    {
      book: { accountId: t.accountId, book: 'available' },
      asset: t.assetId,
      amount: split.released - split.fromAvailable,
    },
    { book: { system: 'exchange' }, asset: t.assetId, amount: t.quantity },
    { book: { system: 'exchange' }, asset: CASH, amount: -proceeds },
    { book: { accountId: t.accountId, book: 'available' }, asset: CASH, amount: proceeds },
  ]);
  return { ...split, posting, cashAmount: proceeds };
}

/**
 * A completed withdrawal consumes its reservation: the amount goes from reserved cash to
 * `external`. The reservation normally is exactly the amount; any excess goes back to available,
 * any shortfall (a reservation released too early) comes from available.
 */
export function consumeWithdrawal(accountId: string, amount: Cents, reservedRemaining: Cents): Posting {
  if (amount <= 0n) throw new LedgerRuleError('validation_failed', 'A withdrawal must be greater than zero');
  const split = splitAgainstReservation(amount, reservedRemaining);
  return makePosting('withdrawal', accountId, [
    { book: { accountId, book: 'reserved' }, asset: CASH, amount: -reservedRemaining },
    { book: { accountId, book: 'available' }, asset: CASH, amount: split.released - split.fromAvailable },
    { book: { system: 'external' }, asset: CASH, amount },
  ]);
}
