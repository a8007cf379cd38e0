/** The SQL of customers. */
import type { Queryable } from '@simplebank/chassis';
import type { Preferences, Role } from './domain/customers.ts';

export interface CustomerRow {
  id: string;
  email: string;
  name: string;
  role: Role;
  preferences: Preferences;
  phone: string | null;
  createdAt: string;
}

type Raw = {
  id: string;
  email: string;
  name: string;
  role: Role;
  pref_email: boolean;
  pref_sms: boolean;
  pref_push: boolean;
  phone: string | null;
  created_at: Date;
};

const COLUMNS = 'id::text, email, name, role, pref_email, pref_sms, pref_push, phone, created_at';

function toCustomer(r: Raw): CustomerRow {
  return {
    id: r.id,
    email: r.email,
    name: r.name,
    role: r.role,
    preferences: { email: r.pref_email, sms: r.pref_sms, push: r.pref_push },
    phone: r.phone,
    createdAt: r.created_at.toISOString(),
  };
}

/** Inserts a customer; undefined when the email is taken (case-insensitively). */
export async function insertCustomer(
  db: Queryable,
  c: { id: string; email: string; name: string; passwordHash: string; role: Role; preferences: Preferences },
): Promise<CustomerRow | undefined> {
  const { rows } = await db.query<Raw>(
    `INSERT INTO customers (id, email, name, password_hash, role, pref_email, pref_sms, pref_push)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT ((lower(email))) DO NOTHING
     RETURNING ${COLUMNS}`,
    [c.id, c.email, c.name, c.passwordHash, c.role, c.preferences.email, c.preferences.sms, c.preferences.push],
  );
  return rows[0] ? toCustomer(rows[0]) : undefined;
}

export async function findCustomer(db: Queryable, id: string, forUpdate = false): Promise<CustomerRow | undefined> {
  const { rows } = await db.query<Raw>(
    `SELECT ${COLUMNS} FROM customers WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] ? toCustomer(rows[0]) : undefined;
}

export async function findCredentials(
  db: Queryable,
  email: string,
): Promise<{ id: string; role: Role; passwordHash: string } | undefined> {
  const { rows } = await db.query<{ id: string; role: Role; password_hash: string }>(
    'SELECT id::text, role, password_hash FROM customers WHERE lower(email) = lower($1)',
    [email],
  );
  const r = rows[0];
  return r ? { id: r.id, role: r.role, passwordHash: r.password_hash } : undefined;
}

export async function updateCustomer(
  db: Queryable,
  id: string,
  name: string,
  p: Preferences,
  phone: string | null,
): Promise<CustomerRow> {
  const { rows } = await db.query<Raw>(
    `UPDATE customers SET name = $2, pref_email = $3, pref_sms = $4, pref_push = $5, phone = $6 WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, name, p.email, p.sms, p.push, phone],
  );
  return toCustomer(rows[0]!);
}

// Sessions

export async function insertFamily(db: Queryable, familyId: string, customerId: string): Promise<void> {
  await db.query('INSERT INTO session_families (id, customer_id) VALUES ($1, $2)', [familyId, customerId]);
}

export async function insertToken(db: Queryable, tokenHash: string, familyId: string, expiresAt: Date): Promise<void> {
  await db.query('INSERT INTO refresh_tokens (token_hash, family_id, expires_at) VALUES ($1, $2, $3)', [
    tokenHash,
    familyId,
    expiresAt,
  ]);
}

export interface TokenRow {
  familyId: string;
  customerId: string;
  expiresAt: Date;
  spentAt: Date | null;
  familyRevokedAt: Date | null;
}

/** The token and its family, locked: concurrent presentations of one token are serialized. */
export async function lockToken(db: Queryable, tokenHash: string): Promise<TokenRow | undefined> {
  const { rows } = await db.query<{
    family_id: string;
    customer_id: string;
    expires_at: Date;
    spent_at: Date | null;
    revoked_at: Date | null;
  }>(
    `SELECT t.family_id::text, f.customer_id::text, t.expires_at, t.spent_at, f.revoked_at
       FROM refresh_tokens t JOIN session_families f ON f.id = t.family_id
      WHERE t.token_hash = $1
      FOR UPDATE OF t, f`,
    [tokenHash],
  );
  const r = rows[0];
  return r
    ? {
        familyId: r.family_id,
        customerId: r.customer_id,
        expiresAt: r.expires_at,
        spentAt: r.spent_at,
        familyRevokedAt: r.revoked_at,
      }
    : undefined;
}

export async function spendToken(db: Queryable, tokenHash: string): Promise<void> {
  await db.query('UPDATE refresh_tokens SET spent_at = now() WHERE token_hash = $1', [tokenHash]);
}

/** A session family that exists and is not revoked. */
export async function familyActive(db: Queryable, familyId: string): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM session_families WHERE id = $1 AND revoked_at IS NULL', [familyId]);
  return rows.length > 0;
}

export async function revokeFamily(db: Queryable, familyId: string): Promise<void> {
  await db.query('UPDATE session_families SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1', [familyId]);
}
