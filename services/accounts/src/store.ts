/** The SQL of accounts. */
import type { Queryable } from '@simplebank/chassis';

export interface AccountRow {
  id: string;
  ownerId: string;
  name: string;
  currency: 'USD';
  status: 'open' | 'closed';
  createdAt: string;
}

type Raw = {
  id: string;
  seq: string;
  owner_id: string;
  name: string;
  currency: 'USD';
  status: 'open' | 'closed';
  created_at: Date;
};

const COLUMNS = 'id::text, seq::text, owner_id, name, currency, status, created_at';

function toAccount(r: Raw): AccountRow {
  return {
    id: r.id,
    ownerId: r.owner_id,
    name: r.name,
    currency: r.currency,
    status: r.status,
    createdAt: r.created_at.toISOString(),
  };
}

export async function insertAccount(
  db: Queryable,
  a: { id: string; ownerId: string; name: string },
): Promise<AccountRow> {
  const { rows } = await db.query<Raw>(
    `INSERT INTO accounts (id, owner_id, name) VALUES ($1, $2, $3) RETURNING ${COLUMNS}`,
    [a.id, a.ownerId, a.name],
  );
  return toAccount(rows[0]!);
}

export async function findAccount(db: Queryable, id: string): Promise<AccountRow | undefined> {
  const { rows } = await db.query<Raw>(`SELECT ${COLUMNS} FROM accounts WHERE id = $1`, [id]);
  return rows[0] ? toAccount(rows[0]) : undefined;
}

/** The accounts of `ids` that exist (ids must be uuids), in no particular order. */
export async function findAccounts(db: Queryable, ids: readonly string[]): Promise<AccountRow[]> {
  const { rows } = await db.query<Raw>(`SELECT ${COLUMNS} FROM accounts WHERE id = ANY($1::uuid[])`, [ids]);
  return rows.map(toAccount);
}

/** A page of the owner's accounts, newest first, after position `before` (exclusive). */
export async function listByOwner(
  db: Queryable,
  ownerId: string,
  limit: number,
  before: string | undefined,
): Promise<{ items: AccountRow[]; lastSeq: string | undefined; more: boolean }> {
  const { rows } = await db.query<Raw>(
    `SELECT ${COLUMNS} FROM accounts WHERE owner_id = $1 AND ($2::bigint IS NULL OR seq < $2::bigint) ORDER BY accounts.seq DESC LIMIT $3`,
    [ownerId, before ?? null, limit + 1],
  );
  const page = rows.slice(0, limit);
  return { items: page.map(toAccount), lastSeq: page.at(-1)?.seq, more: rows.length > limit };
}
