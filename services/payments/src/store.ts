/** The SQL of payments. */
import type { Queryable } from '@simplebank/chassis';
import { formatMoney } from '@simplebank/money';
import type { Kind, Method } from './domain/payments.ts';

export interface PaymentRow {
  id: string;
  accountId: string;
  customerId: string;
  kind: Kind;
  method: Method;
  amount: string;
  status: 'pending' | 'settling' | 'completed' | 'failed';
  reason: string | null;
  reservationId: string | null;
  /** Tries of the ledger posting that did not succeed (settling). */
  settleAttempts: number;
  providerOutcome: 'completed' | 'failed';
  providerReason: string | null;
  correlationId: string;
  createdAt: string;
  updatedAt: string;
}

type Raw = {
  id: string;
  account_id: string;
  customer_id: string;
  kind: Kind;
  method: Method;
  amount_cents: string;
  status: PaymentRow['status'];
  reason: string | null;
  reservation_id: string | null;
  provider_outcome: PaymentRow['providerOutcome'];
  provider_reason: string | null;
  settle_attempts: number;
  correlation_id: string;
  created_at: Date;
  updated_at: Date;
};

const COLUMNS =
  'id::text, account_id, customer_id, kind, method, amount_cents::text, status, reason, reservation_id, provider_outcome, provider_reason, settle_attempts, correlation_id, created_at, updated_at';

function toRow(r: Raw): PaymentRow {
  return {
    id: r.id,
    accountId: r.account_id,
    customerId: r.customer_id,
    kind: r.kind,
    method: r.method,
    amount: formatMoney(BigInt(r.amount_cents)),
    status: r.status,
    reason: r.reason,
    reservationId: r.reservation_id,
    providerOutcome: r.provider_outcome,
    providerReason: r.provider_reason,
    settleAttempts: r.settle_attempts,
    correlationId: r.correlation_id,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

export interface NewPayment {
  id: string;
  accountId: string;
  customerId: string;
  kind: Kind;
  method: Method;
  amountCents: bigint;
  cardLast4: string | undefined;
  reservationId: string | undefined;
  providerOutcome: 'completed' | 'failed';
  providerReason: string | undefined;
  delayMs: number;
  correlationId: string;
}

/** A pending payment, due at the provider `delayMs` from now. */
export async function insertPayment(db: Queryable, p: NewPayment): Promise<PaymentRow> {
  const { rows } = await db.query<Raw>(
    `INSERT INTO payments (id, account_id, customer_id, kind, method, amount_cents, card_last4, status, reservation_id, provider_outcome, provider_reason, due_at, correlation_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9, $10, clock_timestamp() + make_interval(secs => $11::double precision / 1000), $12)
     RETURNING ${COLUMNS}`,
    [
      p.id,
      p.accountId,
      p.customerId,
      p.kind,
      p.method,
      p.amountCents.toString(),
      p.cardLast4 ?? null,
      p.reservationId ?? null,
      p.providerOutcome,
      p.providerReason ?? null,
      p.delayMs,
      p.correlationId,
    ],
  );
  return toRow(rows[0]!);
}

export async function findPayment(db: Queryable, id: string): Promise<PaymentRow | undefined> {
  const { rows } = await db.query<Raw>(`SELECT ${COLUMNS} FROM payments WHERE id = $1`, [id]);
  return rows[0] ? toRow(rows[0]) : undefined;
}

/** Open payments (pending at the provider, or settling in the ledger) whose time has come, oldest first. */
export async function duePayments(
  db: Queryable,
  limit: number,
): Promise<Array<{ id: string; customerId: string; correlationId: string }>> {
  const { rows } = await db.query<{ id: string; customer_id: string; correlation_id: string }>(
    `SELECT id::text, customer_id, correlation_id FROM payments WHERE status IN ('pending', 'settling') AND due_at <= clock_timestamp() ORDER BY due_at LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({ id: r.id, customerId: r.customer_id, correlationId: r.correlation_id }));
}

/** The payment if it is still open (pending or settling), locked; undefined when done or being done by another worker. */
export async function lockOpen(db: Queryable, id: string): Promise<PaymentRow | undefined> {
  const { rows } = await db.query<Raw>(
    `SELECT ${COLUMNS} FROM payments WHERE id = $1 AND status IN ('pending', 'settling') FOR UPDATE SKIP LOCKED`,
    [id],
  );
  return rows[0] ? toRow(rows[0]) : undefined;
}

/** The ledger could not post the payment yet: `settling`, tried again `retryMs` from now. */
export async function markSettling(db: Queryable, id: string, reason: string, retryMs: number): Promise<PaymentRow> {
  const { rows } = await db.query<Raw>(
    `UPDATE payments SET status = 'settling', reason = $2, settle_attempts = settle_attempts + 1,
            due_at = clock_timestamp() + make_interval(secs => $3::double precision / 1000), updated_at = now()
      WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, reason, retryMs],
  );
  return toRow(rows[0]!);
}

export async function finishPayment(
  db: Queryable,
  id: string,
  status: 'completed' | 'failed',
  reason: string | null,
): Promise<PaymentRow> {
  const { rows } = await db.query<Raw>(
    `UPDATE payments SET status = $2, reason = $3, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, status, reason],
  );
  return toRow(rows[0]!);
}
