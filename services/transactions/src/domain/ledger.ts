/**
 * The double-entry rules of the ledger, pure: what a posting is, that it balances per asset, and
 * what it does to one customer account's books (never below zero). Amounts are bigint: cents for
 * USD, micro-units for a ticker.
 */

export const CASH = 'USD';

export type CustomerBook = 'available' | 'reserved';
export type SystemBook = 'external' | 'house:fees' | 'exchange';

/** Where an entry lands: one of a customer account's books, or a system book. */
export type BookRef = { accountId: string; book: CustomerBook } | { system: SystemBook };

export interface Entry {
  book: BookRef;
  asset: string;
  /** Signed: positive adds to the book, negative takes from it. */
  amount: bigint;
}

export type PostingKind = 'deposit' | 'withdrawal' | 'reservation' | 'release' | 'fee' | 'fee_refund' | 'trade';

export interface Posting {
  kind: PostingKind;
  /** The one customer account this posting touches. */
  accountId: string;
  entries: Entry[];
}

/** A rule of the ledger refused the posting (insufficient funds, an unbalanced posting…). */
export class LedgerRuleError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'LedgerRuleError';
  }
}

/** One account's books per asset. */
export interface AssetBalance {
  available: bigint;
  reserved: bigint;
}
export type AccountBalances = Map<string, AssetBalance>;

export function isCustomer(book: BookRef): book is { accountId: string; book: CustomerBook } {
  return 'accountId' in book;
}

/** Sum of the entries per asset (zero for every asset of a balanced posting). */
export function sumsByAsset(entries: readonly Entry[]): Map<string, bigint> {
  const sums = new Map<string, bigint>();
  for (const e of entries) sums.set(e.asset, (sums.get(e.asset) ?? 0n) + e.amount);
  return sums;
}

/**
 * Builds a posting: drops zero entries, then checks that at least two entries remain, that every
 * asset sums to zero and that the only customer account it touches is `accountId`.
 */
export function makePosting(kind: PostingKind, accountId: string, entries: readonly Entry[]): Posting {
  const kept = entries.filter((e) => e.amount !== 0n);
  if (kept.length < 2)
    throw new LedgerRuleError('empty_posting', `A ${kind} posting needs at least two non-zero entries`);
  for (const [asset, sum] of sumsByAsset(kept)) {
    if (sum !== 0n)
      throw new LedgerRuleError(
        'unbalanced_posting',
        `A ${kind} posting does not balance for ${asset} (off by ${sum})`,
      );
  }
  for (const e of kept) {
    if (isCustomer(e.book) && e.book.accountId !== accountId)
      throw new LedgerRuleError('foreign_account', `A posting of ${accountId} cannot touch ${e.book.accountId}`);
  }
  return { kind, accountId, entries: kept };
}

/** The posting's entries on its customer account, per asset and book. */
export function customerEntries(posting: Posting): Array<{ asset: string; book: CustomerBook; amount: bigint }> {
  const out: Array<{ asset: string; book: CustomerBook; amount: bigint }> = [];
  for (const e of posting.entries)
    if (isCustomer(e.book)) out.push({ asset: e.asset, book: e.book.book, amount: e.amount });
  return out;
}

/**
 * The account's balances after the posting, or a LedgerRuleError when a book would go negative:
 * `insufficient_funds` for cash, `insufficient_position` for a ticker. The input is not changed.
 */
export function applyPosting(balances: AccountBalances, posting: Posting): AccountBalances {
  const next: AccountBalances = new Map([...balances].map(([asset, b]) => [asset, { ...b }]));
  for (const e of customerEntries(posting)) {
    const b = next.get(e.asset) ?? { available: 0n, reserved: 0n };
    b[e.book] += e.amount;
    next.set(e.asset, b);
  }
  for (const e of customerEntries(posting)) {
    const b = next.get(e.asset)!;
    if (b.available < 0n || b.reserved < 0n) {
      throw e.asset === CASH
        ? new LedgerRuleError('insufficient_funds', 'Not enough available cash')
        : new LedgerRuleError('insufficient_position', `Not enough ${e.asset} available`);
    }
  }
  return next;
}

const customer = (accountId: string, book: CustomerBook): BookRef => ({ accountId, book });
const system = (book: SystemBook): BookRef => ({ system: book });

function positive(amount: bigint, what: string): bigint {
  if (amount <= 0n) throw new LedgerRuleError('validation_failed', `${what} must be greater than zero`);
  return amount;
}

/** external → account available (a completed deposit). */
export function depositPosting(accountId: string, cents: bigint): Posting {
  positive(cents, 'A deposit');
  return makePosting('deposit', accountId, [
    { book: system('external'), asset: CASH, amount: -cents },
    { book: customer(accountId, 'available'), asset: CASH, amount: cents },
  ]);
}

/** account reserved → external (a completed withdrawal consumes its reservation). */
export function withdrawalPosting(accountId: string, cents: bigint): Posting {
  positive(cents, 'A withdrawal');
  return makePosting('withdrawal', accountId, [
    { book: customer(accountId, 'reserved'), asset: CASH, amount: -cents },
    { book: system('external'), asset: CASH, amount: cents },
  ]);
}

/** available → reserved, of cash or a position. */
export function reservationPosting(accountId: string, asset: string, amount: bigint): Posting {
  positive(amount, 'A reservation');
  return makePosting('reservation', accountId, [
    { book: customer(accountId, 'available'), asset, amount: -amount },
    { book: customer(accountId, 'reserved'), asset, amount },
  ]);
}

/** reserved → available: what is left of a reservation goes back. */
export function releasePosting(accountId: string, asset: string, amount: bigint): Posting {
  positive(amount, 'A release');
  return makePosting('release', accountId, [
    { book: customer(accountId, 'reserved'), asset, amount: -amount },
    { book: customer(accountId, 'available'), asset, amount },
  ]);
}

/** available cash → house:fees. */
export function feePosting(accountId: string, cents: bigint): Posting {
  positive(cents, 'A fee');
  return makePosting('fee', accountId, [
    { book: customer(accountId, 'available'), asset: CASH, amount: -cents },
    { book: system('house:fees'), asset: CASH, amount: cents },
  ]);
}

/** house:fees → available cash. */
export function feeRefundPosting(accountId: string, cents: bigint): Posting {
  positive(cents, 'A fee refund');
  return makePosting('fee_refund', accountId, [
    { book: system('house:fees'), asset: CASH, amount: -cents },
    { book: customer(accountId, 'available'), asset: CASH, amount: cents },
  ]);
}
