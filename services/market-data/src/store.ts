/** market-data's SQL. Prices are bigint cents in the database, decimal strings at the edge. */
import type { Queryable, Tx } from '@simplebank/chassis';
import { formatMoney, type Cents } from '@simplebank/money';
import { marketDataContract } from './contract.ts';

export interface AssetRow {
  id: string;
  name: string;
  type: 'stock' | 'fund' | 'etf';
  currency: 'USD';
  price_cents: string;
  pinned: boolean;
  updated_at: Date;
  published_price_cents: string | null;
  published_at: Date | null;
}

const COLUMNS = 'id, name, type, currency, price_cents, pinned, updated_at, published_price_cents, published_at';

export function toAsset(row: AssetRow) {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    currency: row.currency,
    price: formatMoney(BigInt(row.price_cents)),
    updatedAt: row.updated_at.toISOString(),
  };
}

export async function getAsset(db: Queryable, id: string): Promise<AssetRow | undefined> {
  const { rows } = await db.query<AssetRow & Record<string, unknown>>(`SELECT ${COLUMNS} FROM assets WHERE id = $1`, [
    id,
  ]);
  return rows[0];
}

/** Assets matching `q` (ticker or name, case-insensitive) and `type`, by ticker, after the cursor's ticker. */
export async function searchAssets(
  db: Queryable,
  filter: { q?: string; type?: string; after?: string; limit: number },
): Promise<AssetRow[]> {
  const { rows } = await db.query<AssetRow & Record<string, unknown>>(
    `SELECT ${COLUMNS} FROM assets
      WHERE ($1::text IS NULL OR strpos(lower(id), lower($1)) > 0 OR strpos(lower(name), lower($1)) > 0)
        AND ($2::text IS NULL OR type = $2)
        AND ($3::text IS NULL OR id > $3)
      ORDER BY id
      LIMIT $4`,
    [filter.q ?? null, filter.type ?? null, filter.after ?? null, filter.limit],
  );
  return rows;
}

export async function listPrices(db: Queryable, ids: readonly string[] | undefined): Promise<AssetRow[]> {
  const { rows } = await db.query<AssetRow & Record<string, unknown>>(
    `SELECT ${COLUMNS} FROM assets WHERE ($1::text[] IS NULL OR id = ANY($1::text[])) ORDER BY id`,
    [ids ?? null],
  );
  return rows;
}

/**
 * An asset's published prices from `from` to `to` (inclusive), downsampled: the period is cut into
 * `buckets` equal spans and each span with a price gives its last one (what a closing price is), so
 * the answer is small however many ticks the period held. Oldest first.
 */
export async function priceHistory(
  db: Queryable,
  id: string,
  from: Date,
  to: Date,
  buckets: number,
): Promise<Array<{ at: Date; price_cents: string }>> {
  const { rows } = await db.query<{ at: Date; price_cents: string }>(
    `SELECT at, price_cents FROM (
       SELECT DISTINCT ON (bucket) at, price_cents::text AS price_cents FROM (
         SELECT at, price_cents, id,
                least(width_bucket(extract(epoch FROM at), extract(epoch FROM $2::timestamptz), extract(epoch FROM $3::timestamptz), $4), $4) AS bucket
           FROM price_history WHERE asset_id = $1 AND at >= $2 AND at <= $3
       ) spans ORDER BY bucket, at DESC, id DESC
     ) last_of_span ORDER BY at`,
    [id, from, to, buckets],
  );
  return rows;
}

/** Sets the price (and whether it is pinned); undefined when there is no such asset. */
export async function setPrice(
  tx: Queryable,
  id: string,
  priceCents: Cents | null,
  pinned: boolean,
): Promise<AssetRow | undefined> {
  const { rows } = await tx.query<AssetRow & Record<string, unknown>>(
    `UPDATE assets SET price_cents = coalesce($2::bigint, price_cents), pinned = $3,
            updated_at = CASE WHEN $2::bigint IS NULL THEN updated_at ELSE clock_timestamp() END
      WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, priceCents === null ? null : priceCents.toString(), pinned],
  );
  return rows[0];
}

/** Unpinned assets, locked for this tick (a concurrent pin waits for it), by ticker. */
export async function lockUnpinned(tx: Queryable): Promise<AssetRow[]> {
  const { rows } = await tx.query<AssetRow & Record<string, unknown>>(
    `SELECT ${COLUMNS} FROM assets WHERE NOT pinned ORDER BY id FOR UPDATE`,
  );
  return rows;
}

/**
 * Unpinned assets whose price differs from the one last published, locked, by ticker. FOR UPDATE
 * without SKIP LOCKED: a row a pin holds is read again after the pin, which has published it.
 */
export async function lockMoved(tx: Queryable): Promise<AssetRow[]> {
  const { rows } = await tx.query<AssetRow & Record<string, unknown>>(
    `SELECT ${COLUMNS} FROM assets WHERE NOT pinned AND price_cents IS DISTINCT FROM published_price_cents ORDER BY id FOR UPDATE`,
  );
  return rows;
}

export async function updatePrices(
  tx: Queryable,
  changes: ReadonlyArray<{ id: string; priceCents: Cents }>,
): Promise<void> {
  if (changes.length === 0) return;
  await tx.query(
    `UPDATE assets AS a SET price_cents = v.price, updated_at = clock_timestamp()
       FROM unnest($1::text[], $2::bigint[]) AS v(id, price) WHERE a.id = v.id`,
    [changes.map((c) => c.id), changes.map((c) => c.priceCents.toString())],
  );
}

/** Publishes PriceChanged for the asset's current price, and records it as published and in the history. */
export async function publishPrice(tx: Tx, id: string, priceCents: Cents): Promise<void> {
  const { rows } = await tx.query<{ at: Date }>(
    `UPDATE assets SET published_price_cents = $2, published_at = clock_timestamp() WHERE id = $1 RETURNING published_at AS at`,
    [id, priceCents.toString()],
  );
  const at = rows[0]!.at;
  await tx.query('INSERT INTO price_history (asset_id, price_cents, at) VALUES ($1, $2, $3)', [
    id,
    priceCents.toString(),
    at,
  ]);
  await tx.publish(
    marketDataContract.events.PriceChanged,
    { assetId: id, price: formatMoney(priceCents), at: at.toISOString() },
    { key: id },
  );
}

/**
 * Claims the walk's ticks due by now (locking the feed's row until the transaction ends): how many
 * whole ticks of `tickMs` passed since the walk was last applied, at most `maxTicks` of them walked
 * (older ones are skipped), and how long until the next one. The first call starts the feed at now.
 */
export async function claimTicks(
  tx: Queryable,
  tickMs: number,
  maxTicks: number,
): Promise<{ ticks: number; nextInMs: number }> {
  await tx.query('INSERT INTO price_feed (id, walked_to) VALUES (1, clock_timestamp()) ON CONFLICT (id) DO NOTHING');
  const { rows } = await tx.query<{ elapsed_ms: string }>(
    `SELECT floor(extract(epoch FROM clock_timestamp() - walked_to) * 1000)::bigint::text AS elapsed_ms FROM price_feed WHERE id = 1 FOR UPDATE`,
  );
  const elapsed = Math.max(0, Number(rows[0]!.elapsed_ms));
  const due = Math.floor(elapsed / tickMs);
  if (due > 0)
    await tx.query(`UPDATE price_feed SET walked_to = walked_to + $1 * interval '1 millisecond' WHERE id = 1`, [
      due * tickMs,
    ]);
  return { ticks: Math.min(due, maxTicks), nextInMs: tickMs - (elapsed % tickMs) };
}
