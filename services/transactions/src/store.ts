/**
 * The ledger's SQL. Every write happens under the account's lock (`lockAccount`): a posting's books
 * and the account's reservations read after the lock stay as read until the posting commits.
 */
import type { Queryable } from '@simplebank/chassis';
import { isCustomer, type AccountBalances, type Posting } from './domain/ledger.ts';

export type PostingRow = {
  id: string;
  kind: Posting['kind'];
  account_id: string;
  order_id: string | null;
  payment_id: string | null;
  reservation_id: string | null;
  at: Date;
};

export type ReservationRow = {
  id: string;
  account_id: string;
  asset: string;
  amount: bigint;
  remaining: bigint;
  status: 'held' | 'released' | 'consumed';
  order_id: string | null;
  payment_id: string | null;
};

export interface Cause {
  orderId?: string | undefined;
  paymentId?: string | undefined;
  feeId?: string | undefined;
  reservationId?: string | undefined;
  /** A trade's fill price in cents. */
  price?: bigint | undefined;
}

/**
 * Takes the account's lock (creating its row on first use): postings on one account run one at a
 * time. One statement for an account seen before, which is every posting but its first.
 */
export async function lockAccount(tx: Queryable, accountId: string): Promise<void> {
  const lock = 'SELECT account_id FROM ledger_accounts WHERE account_id = $1 FOR UPDATE';
  if ((await tx.query(lock, [accountId])).rowCount === 1) return;
  await tx.query('INSERT INTO ledger_accounts (account_id) VALUES ($1) ON CONFLICT (account_id) DO NOTHING', [
    accountId,
  ]);
  await tx.query(lock, [accountId]);
}

export async function loadBalances(db: Queryable, accountId: string): Promise<AccountBalances> {
  const { rows } = await db.query<{ asset: string; available: string; reserved: string }>(
    'SELECT asset, available::text, reserved::text FROM balances WHERE account_id = $1 ORDER BY asset',
    [accountId],
  );
  return toBalances(rows);
}

/** The balances of several accounts in one statement; an account with no rows is absent. */
export async function loadBalancesOf(
  db: Queryable,
  accountIds: readonly string[],
): Promise<Map<string, AccountBalances>> {
  const { rows } = await db.query<{ account_id: string; asset: string; available: string; reserved: string }>(
    'SELECT account_id, asset, available::text, reserved::text FROM balances WHERE account_id = ANY($1::text[]) ORDER BY account_id, asset',
    [accountIds],
  );
  const byAccount = new Map<string, typeof rows>();
  for (const r of rows) byAccount.set(r.account_id, [...(byAccount.get(r.account_id) ?? []), r]);
  return new Map([...byAccount].map(([id, rs]) => [id, toBalances(rs)]));
}

const toBalances = (rows: Array<{ asset: string; available: string; reserved: string }>): AccountBalances =>
  new Map(rows.map((r) => [r.asset, { available: BigInt(r.available), reserved: BigInt(r.reserved) }]));

export async function findPosting(db: Queryable, key: string): Promise<PostingRow | undefined> {
  const { rows } = await db.query<PostingRow>(
    'SELECT id, kind, account_id, order_id, payment_id, reservation_id, at FROM postings WHERE posting_key = $1',
    [key],
  );
  return rows[0];
}

/** What a posting is decided on: the posting already made under its key, the account's books, the reservation it uses. */
export interface PostingContext {
  existing: PostingRow | undefined;
  balances: AccountBalances;
  reservation: ReservationRow | undefined;
}

/**
 * Reads a posting's context in one statement, under the account's lock (so the books and the
 * account's reservations cannot change until the posting commits).
 */
export async function loadPostingContext(
  db: Queryable,
  key: string,
  accountId: string,
  reservationId?: string,
): Promise<PostingContext> {
  const { rows } = await db.query<{
    existing: (Omit<PostingRow, 'at'> & { at: string }) | null;
    balances: Array<{ asset: string; available: string; reserved: string }> | null;
    reservation: RawReservation | null;
  }>(
    `SELECT (SELECT json_build_object('id', id, 'kind', kind, 'account_id', account_id, 'order_id', order_id, 'payment_id', payment_id, 'reservation_id', reservation_id, 'at', at)
               FROM postings WHERE posting_key = $1) AS existing,
            (SELECT json_agg(json_build_object('asset', asset, 'available', available::text, 'reserved', reserved::text))
               FROM balances WHERE account_id = $2) AS balances,
            (SELECT json_build_object('id', id, 'account_id', account_id, 'asset', asset, 'amount', amount::text, 'remaining', remaining::text, 'status', status, 'order_id', order_id, 'payment_id', payment_id)
               FROM reservations WHERE id = $3::uuid) AS reservation`,
    [key, accountId, reservationId !== undefined && UUID.test(reservationId) ? reservationId : null],
  );
  const row = rows[0]!;
  return {
    existing: row.existing ? { ...row.existing, at: new Date(row.existing.at) } : undefined,
    balances: toBalances(row.balances ?? []),
    reservation: row.reservation ? toReservation(row.reservation) : undefined,
  };
}

/** What a posting does to a reservation: opens one (a reservation posting) or ends a held one. */
export type ReservationChange =
  | {
      open: { id: string; asset: string; amount: bigint; orderId?: string | undefined; paymentId?: string | undefined };
    }
  | { close: { id: string; status: 'released' | 'consumed' } };

/**
 * Writes a posting, its entries, the account's new balances (for the assets the posting touched)
 * and its reservation change, in one statement.
 */
export async function insertPosting(
  tx: Queryable,
  p: {
    id: string;
    key: string;
    posting: Posting;
    cause: Cause;
    balancesAfter: AccountBalances;
    entryIds: string[];
    reservation?: ReservationChange | undefined;
  },
): Promise<Date> {
  const c = p.cause;
  const entries = p.posting.entries;
  const assets = [...new Set(entries.filter((e) => isCustomer(e.book)).map((e) => e.asset))];
  const open = p.reservation && 'open' in p.reservation ? p.reservation.open : undefined;
  const close = p.reservation && 'close' in p.reservation ? p.reservation.close : undefined;
  const { rows } = await tx.query<{ at: Date }>(
    `WITH posting AS (
       INSERT INTO postings (id, posting_key, kind, account_id, order_id, payment_id, fee_id, reservation_id, price)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING at
     ), entry AS (
       INSERT INTO entries (id, posting_id, account_id, book, asset, amount)
       SELECT e.id, $1, e.account_id, e.book, e.asset, e.amount
         FROM unnest($10::uuid[], $11::text[], $12::text[], $13::text[], $14::numeric[]) WITH ORDINALITY AS e(id, account_id, book, asset, amount, n)
        ORDER BY e.n
     ), balance AS (
       INSERT INTO balances (account_id, asset, available, reserved)
       SELECT $4, b.asset, b.available, b.reserved FROM unnest($15::text[], $16::numeric[], $17::numeric[]) AS b(asset, available, reserved)
       ON CONFLICT (account_id, asset) DO UPDATE SET available = EXCLUDED.available, reserved = EXCLUDED.reserved
     ), opened AS (
       INSERT INTO reservations (id, account_id, asset, amount, remaining, status, order_id, payment_id)
       SELECT $18::uuid, $4, $19, $20::numeric, $20::numeric, 'held', $21, $22 WHERE $18::uuid IS NOT NULL
     ), closed AS (
       UPDATE reservations SET remaining = 0, status = $24, updated_at = now() WHERE id = $23::uuid AND status = 'held'
     )
     SELECT at FROM posting`,
    [
      p.id,
      p.key,
      p.posting.kind,
      p.posting.accountId,
      c.orderId ?? null,
      c.paymentId ?? null,
      c.feeId ?? null,
      c.reservationId ?? null,
      c.price === undefined ? null : c.price.toString(),
      p.entryIds,
      entries.map((e) => (isCustomer(e.book) ? e.book.accountId : null)),
      entries.map((e) => (isCustomer(e.book) ? e.book.book : e.book.system)),
      entries.map((e) => e.asset),
      entries.map((e) => e.amount.toString()),
      assets,
      assets.map((a) => (p.balancesAfter.get(a)?.available ?? 0n).toString()),
      assets.map((a) => (p.balancesAfter.get(a)?.reserved ?? 0n).toString()),
      open?.id ?? null,
      open?.asset ?? null,
      open?.amount.toString() ?? null,
      open?.orderId ?? null,
      open?.paymentId ?? null,
      close?.id ?? null,
      close?.status ?? null,
    ],
  );
  return rows[0]!.at;
}

const RESERVATION_COLUMNS =
  'id, account_id, asset, amount::text AS amount, remaining::text AS remaining, status, order_id, payment_id';
type RawReservation = Omit<ReservationRow, 'amount' | 'remaining'> & { amount: string; remaining: string };
const toReservation = (r: RawReservation): ReservationRow => ({
  ...r,
  amount: BigInt(r.amount),
  remaining: BigInt(r.remaining),
});
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function getReservation(db: Queryable, id: string): Promise<ReservationRow | undefined> {
  if (!UUID.test(id)) return undefined;
  const { rows } = await db.query<RawReservation>(`SELECT ${RESERVATION_COLUMNS} FROM reservations WHERE id = $1`, [
    id,
  ]);
  return rows[0] && toReservation(rows[0]);
}

export async function findReservationByPayment(db: Queryable, paymentId: string): Promise<ReservationRow | undefined> {
  const { rows } = await db.query<RawReservation>(
    `SELECT ${RESERVATION_COLUMNS} FROM reservations WHERE payment_id = $1 ORDER BY created_at LIMIT 1`,
    [paymentId],
  );
  return rows[0] && toReservation(rows[0]);
}

export type EntryRow = {
  seq: string;
  id: string;
  at: Date;
  kind: Posting['kind'];
  asset: string;
  book: 'available' | 'reserved';
  amount: string;
  order_id: string | null;
  payment_id: string | null;
};

/** The account's own entries, newest first, after the cursor `beforeSeq`. */
export async function listEntries(
  db: Queryable,
  accountId: string,
  limit: number,
  beforeSeq: bigint | undefined,
): Promise<EntryRow[]> {
  const { rows } = await db.query<EntryRow>(
    `SELECT e.seq::text AS seq, e.id, p.at, p.kind, e.asset, e.book, e.amount::text AS amount, p.order_id, p.payment_id
       FROM entries e JOIN postings p ON p.id = e.posting_id
      WHERE e.account_id = $1 AND ($2::bigint IS NULL OR e.seq < $2)
      ORDER BY e.seq DESC LIMIT $3`,
    [accountId, beforeSeq === undefined ? null : beforeSeq.toString(), limit],
  );
  return rows;
}

/** The sum of every book per asset. */
export async function trialBalance(db: Queryable): Promise<Array<{ asset: string; total: bigint }>> {
  const { rows } = await db.query<{ asset: string; total: string }>(
    'SELECT asset, sum(amount)::text AS total FROM entries GROUP BY asset ORDER BY asset',
  );
  return rows.map((r) => ({ asset: r.asset, total: BigInt(r.total) }));
}

/** What a posting took from a customer's available cash (a fee charge: the fee), in cents. */
export async function chargedCash(db: Queryable, postingId: string, accountId: string): Promise<bigint> {
  const { rows } = await db.query<{ amount: string | null }>(
    "SELECT sum(amount) AS amount FROM entries WHERE posting_id = $1 AND account_id = $2 AND book = 'available' AND asset = 'USD'",
    [postingId, accountId],
  );
  return -BigInt(rows[0]?.amount ?? '0');
}
