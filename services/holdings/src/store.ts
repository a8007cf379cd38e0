/** holdings' SQL: applied postings, cash, positions and the price cache. */
import type { Queryable } from '@simplebank/chassis';
import type { Cash, Position, Quote } from './domain/positions.ts';

/**
 * Records the posting and adds its change to the account's cash (when it has one), in one
 * statement; false when the posting was already applied (nothing changes then).
 */
export async function applyOnce(
  tx: Queryable,
  postingId: string,
  accountId: string,
  cashChange: Cash | undefined,
): Promise<boolean> {
  const { rows } = await tx.query<{ applied: boolean }>(
    `WITH applied AS (
       INSERT INTO applied_postings (posting_id, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING posting_id
     ), cash_change AS (
       ${ADD_TO_CASH} SELECT $2, $3::numeric, $4::numeric FROM applied WHERE $5::boolean
       ${ADD_TO_CASH_CONFLICT}
     )
     SELECT EXISTS (SELECT 1 FROM applied) AS applied`,
    [
      postingId,
      accountId,
      (cashChange?.available ?? 0n).toString(),
      (cashChange?.reserved ?? 0n).toString(),
      cashChange !== undefined,
    ],
  );
  return rows[0]!.applied;
}

/** The account's cash. */
/** The cash of several accounts (zeros for one with no row yet). */
export async function getCashOf(db: Queryable, accountIds: readonly string[]): Promise<Map<string, Cash>> {
  const { rows } = await db.query<{ account_id: string; available_cents: string; reserved_cents: string }>(
    'SELECT account_id, available_cents::text, reserved_cents::text FROM cash WHERE account_id = ANY($1::text[])',
    [accountIds],
  );
  const found = new Map(
    rows.map((r) => [r.account_id, { available: BigInt(r.available_cents), reserved: BigInt(r.reserved_cents) }]),
  );
  return new Map(accountIds.map((id) => [id, found.get(id) ?? { available: 0n, reserved: 0n }]));
}

/**
 * A posting's change is added to the account's cash in place, under the row's lock, so concurrent
 * postings add up (cash is a sum of changes; no read, no read-modify-write).
 */
const ADD_TO_CASH = 'INSERT INTO cash (account_id, available_cents, reserved_cents)';
const ADD_TO_CASH_CONFLICT = `ON CONFLICT (account_id) DO UPDATE SET available_cents = cash.available_cents + EXCLUDED.available_cents,
         reserved_cents = cash.reserved_cents + EXCLUDED.reserved_cents, updated_at = now()`;

type PositionRow = { asset_id: string; available_micros: string; reserved_micros: string; cost_cents: string };
const toPosition = (r: PositionRow): Position => ({
  assetId: r.asset_id,
  available: BigInt(r.available_micros),
  reserved: BigInt(r.reserved_micros),
  cost: BigInt(r.cost_cents),
});

/** The position, created empty on first use, locked until the transaction ends (one statement). */
export async function getPositionForUpdate(tx: Queryable, accountId: string, assetId: string): Promise<Position> {
  // DO UPDATE (of nothing) rather than DO NOTHING: it locks an existing row and returns it.
  const { rows } = await tx.query<PositionRow>(
    `INSERT INTO positions (account_id, asset_id) VALUES ($1, $2) ON CONFLICT (account_id, asset_id) DO UPDATE SET asset_id = EXCLUDED.asset_id
     RETURNING asset_id, available_micros::text, reserved_micros::text, cost_cents::text`,
    [accountId, assetId],
  );
  return toPosition(rows[0]!);
}

export async function savePosition(tx: Queryable, accountId: string, p: Position): Promise<void> {
  await tx.query(
    `INSERT INTO positions (account_id, asset_id, available_micros, reserved_micros, cost_cents) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (account_id, asset_id) DO UPDATE SET available_micros = EXCLUDED.available_micros, reserved_micros = EXCLUDED.reserved_micros,
       cost_cents = EXCLUDED.cost_cents, updated_at = now()`,
    [accountId, p.assetId, p.available.toString(), p.reserved.toString(), p.cost.toString()],
  );
}

/** The positions holding any quantity of several accounts, each account's by asset id. */
export async function listPositionsOf(db: Queryable, accountIds: readonly string[]): Promise<Map<string, Position[]>> {
  const { rows } = await db.query<PositionRow & { account_id: string }>(
    `SELECT account_id, asset_id, available_micros::text, reserved_micros::text, cost_cents::text FROM positions
     WHERE account_id = ANY($1::text[]) AND (available_micros <> 0 OR reserved_micros <> 0) ORDER BY account_id, asset_id`,
    [accountIds],
  );
  const byAccount = new Map<string, Position[]>(accountIds.map((id) => [id, []]));
  for (const r of rows) byAccount.get(r.account_id)?.push(toPosition(r));
  return byAccount;
}

/** Caches prices in one statement, each unless a newer one is already cached. */
export async function cachePrices(
  db: Queryable,
  quotes: ReadonlyArray<{ assetId: string; price: bigint; quotedAt: string }>,
): Promise<void> {
  if (quotes.length === 0) return;
  await db.query(
    `INSERT INTO prices (asset_id, price_cents, quoted_at)
     SELECT * FROM unnest($1::text[], $2::bigint[], $3::timestamptz[])
     ON CONFLICT (asset_id) DO UPDATE SET price_cents = EXCLUDED.price_cents, quoted_at = EXCLUDED.quoted_at, received_at = now()
     WHERE prices.quoted_at <= EXCLUDED.quoted_at`,
    [quotes.map((q) => q.assetId), quotes.map((q) => q.price.toString()), quotes.map((q) => q.quotedAt)],
  );
}

export async function cachedPrices(db: Queryable, assetIds: string[]): Promise<Map<string, Quote>> {
  const { rows } = await db.query<{ asset_id: string; price_cents: string; quoted_at: Date }>(
    'SELECT asset_id, price_cents::text, quoted_at FROM prices WHERE asset_id = ANY($1::text[])',
    [assetIds],
  );
  return new Map(rows.map((r) => [r.asset_id, { price: BigInt(r.price_cents), at: r.quoted_at.getTime() }]));
}
