/**
 * Idempotency keys for state-changing RPC methods: the key, a hash of the request and the first
 * answer commit with the method's writes, so a repeat gets the first answer and changes nothing.
 */
import { createHash } from 'node:crypto';
import { ConflictError } from '../errors.ts';
import type { Queryable } from '../db/database.ts';

export function requestHash(data: unknown): string {
  return createHash('sha256').update(stableStringify(data)).digest('hex');
}

/** JSON with object keys sorted, so equal requests hash equally whatever their key order. */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
}

/**
 * Claims `key` for `method` in the current transaction. Returns the stored answer of an earlier call
 * with the same request, or undefined when this call is the first (and must store its answer with
 * `storeIdempotentResponse`). A concurrent call with the same key waits until the first commits.
 */
export async function claimIdempotencyKey(tx: Queryable, method: string, key: string, hash: string): Promise<string | undefined> {
  const inserted = await tx.query('INSERT INTO chassis_idempotency (method, key, request_hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [method, key, hash]);
  if (inserted.rowCount === 1) return undefined;
  const { rows } = await tx.query<{ request_hash: string; response: string | null }>('SELECT request_hash, response FROM chassis_idempotency WHERE method = $1 AND key = $2', [method, key]);
  const row = rows[0];
  if (!row || row.response === null) return undefined;
  if (row.request_hash !== hash) throw new ConflictError('idempotency_key_reused', `Idempotency key was already used for ${method} with a different request`);
  return row.response;
}

export async function storeIdempotentResponse(tx: Queryable, method: string, key: string, response: string): Promise<void> {
  await tx.query('UPDATE chassis_idempotency SET response = $3 WHERE method = $1 AND key = $2', [method, key, response]);
}
