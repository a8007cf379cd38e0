/** strategies' SQL. */
import type { Queryable } from '@simplebank/chassis';
import type { Allocation } from './domain/allocations.ts';

export interface StrategyRow {
  id: string;
  seq: string;
  name: string;
  createdById: string;
  createdAt: Date;
  allocations: Allocation[];
}

type Raw = {
  id: string;
  seq: string;
  name: string;
  created_by_id: string;
  created_at: Date;
  asset_ids: string[];
  hundredths: number[];
};

/** A strategy with its allocations in the order given, from the strategies the CTE `page` selects. */
const SELECT_PAGE = `SELECT s.id::text, s.seq::text, s.name, s.created_by_id, s.created_at,
         array_agg(a.asset_id ORDER BY a.position) AS asset_ids,
         array_agg(a.percentage_hundredths ORDER BY a.position) AS hundredths
    FROM page s JOIN strategy_assets a ON a.strategy_id = s.id
   GROUP BY s.id, s.seq, s.name, s.created_by_id, s.created_at
   ORDER BY s.seq DESC`;

function toRow(r: Raw): StrategyRow {
  return {
    id: r.id,
    seq: r.seq,
    name: r.name,
    createdById: r.created_by_id,
    createdAt: r.created_at,
    allocations: r.asset_ids.map((assetId, i) => ({ assetId, hundredths: BigInt(r.hundredths[i]!) })),
  };
}

export async function insertStrategy(
  tx: Queryable,
  s: { id: string; name: string; createdById: string; allocations: readonly Allocation[] },
): Promise<StrategyRow> {
  const { rows } = await tx.query<{ seq: string; created_at: Date }>(
    'INSERT INTO strategies (id, name, created_by_id, created_at) VALUES ($1, $2, $3, clock_timestamp()) RETURNING seq::text, created_at',
    [s.id, s.name, s.createdById],
  );
  await tx.query(
    `INSERT INTO strategy_assets (strategy_id, position, asset_id, percentage_hundredths)
       SELECT $1, t.ord - 1, t.asset_id, t.hundredths FROM unnest($2::text[], $3::integer[]) WITH ORDINALITY AS t(asset_id, hundredths, ord)`,
    [s.id, s.allocations.map((a) => a.assetId), s.allocations.map((a) => a.hundredths.toString())],
  );
  return {
    id: s.id,
    seq: rows[0]!.seq,
    name: s.name,
    createdById: s.createdById,
    createdAt: rows[0]!.created_at,
    allocations: [...s.allocations],
  };
}

export async function findStrategy(db: Queryable, id: string): Promise<StrategyRow | undefined> {
  const { rows } = await db.query<Raw>(`WITH page AS (SELECT * FROM strategies WHERE id = $1) ${SELECT_PAGE}`, [id]);
  return rows[0] ? toRow(rows[0]) : undefined;
}

/** The strategies of `ids` that exist (uuids), in no particular order. */
export async function findStrategies(db: Queryable, ids: readonly string[]): Promise<StrategyRow[]> {
  const { rows } = await db.query<Raw>(
    `WITH page AS (SELECT * FROM strategies WHERE id = ANY($1::uuid[])) ${SELECT_PAGE}`,
    [ids],
  );
  return rows.map(toRow);
}

/** Up to `limit` strategies, newest first, before position `beforeSeq` (exclusive) when given. */
export async function listStrategies(db: Queryable, q: { beforeSeq?: bigint; limit: number }): Promise<StrategyRow[]> {
  const { rows } = await db.query<Raw>(
    `WITH page AS (SELECT * FROM strategies WHERE ($1::bigint IS NULL OR seq < $1::bigint) ORDER BY seq DESC LIMIT $2) ${SELECT_PAGE}`,
    [q.beforeSeq?.toString() ?? null, q.limit],
  );
  return rows.map(toRow);
}
