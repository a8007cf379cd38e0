/** The exchange's SQL: its order book and its one row of settings. */
import { randomUUID } from 'node:crypto';
import type { Queryable } from '@simplebank/chassis';
import { formatMoney, formatQuantity, type Cents, type Micros } from '@simplebank/money';
import { PPM } from './domain/rules.ts';

export interface OrderRow {
  id: string;
  client_order_id: string;
  asset_id: string;
  side: 'buy' | 'sell';
  quantity_micros: string;
  limit_price_cents: string;
  status: 'open' | 'filled' | 'canceled' | 'rejected';
  fill_price_cents: string | null;
  filled_at: Date | null;
  reason: string | null;
  created_at: Date;
}

export function toExchangeOrder(r: OrderRow) {
  return {
    id: r.id,
    clientOrderId: r.client_order_id,
    assetId: r.asset_id,
    side: r.side,
    quantity: formatQuantity(BigInt(r.quantity_micros)),
    limitPrice: formatMoney(BigInt(r.limit_price_cents)),
    status: r.status,
    fillPrice: r.fill_price_cents === null ? null : formatMoney(BigInt(r.fill_price_cents)),
    filledAt: r.filled_at?.toISOString() ?? null,
    reason: r.reason,
    createdAt: r.created_at.toISOString(),
  };
}

type R = OrderRow & Record<string, unknown>;
const COLUMNS = 'id, client_order_id, asset_id, side, quantity_micros, limit_price_cents, status, fill_price_cents, filled_at, reason, created_at';

/** Inserts a new open order; `created: false` with the existing one when the client order id is known. */
export async function placeOrder(db: Queryable, o: { clientOrderId: string; assetId: string; side: 'buy' | 'sell'; quantity: Micros; limit: Cents }): Promise<{ created: boolean; order: OrderRow }> {
  const inserted = await db.query<R>(
    `INSERT INTO exchange_orders (id, client_order_id, asset_id, side, quantity_micros, limit_price_cents)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (client_order_id) DO NOTHING RETURNING ${COLUMNS}`,
    [randomUUID(), o.clientOrderId, o.assetId, o.side, o.quantity.toString(), o.limit.toString()],
  );
  if (inserted.rows[0]) return { created: true, order: inserted.rows[0] };
  const existing = await findByClientOrderId(db, o.clientOrderId);
  return { created: false, order: existing! };
}

export async function findByClientOrderId(db: Queryable, clientOrderId: string): Promise<OrderRow | undefined> {
  return (await db.query<R>(`SELECT ${COLUMNS} FROM exchange_orders WHERE client_order_id = $1`, [clientOrderId])).rows[0];
}

export async function getOrder(db: Queryable, id: string): Promise<OrderRow | undefined> {
  return (await db.query<R>(`SELECT ${COLUMNS} FROM exchange_orders WHERE id = $1`, [id])).rows[0];
}

/** Cancels an open order; undefined when it is not open (anymore). */
export async function cancelOrder(db: Queryable, id: string): Promise<OrderRow | undefined> {
  return (await db.query<R>(`UPDATE exchange_orders SET status = 'canceled', reason = 'canceled_by_client', updated_at = clock_timestamp() WHERE id = $1 AND status = 'open' RETURNING ${COLUMNS}`, [id])).rows[0];
}

/** Cancels the open order with this client order id; undefined when there is none open. */
export async function cancelByClientOrderId(db: Queryable, clientOrderId: string, reason = 'canceled_by_client'): Promise<OrderRow | undefined> {
  return (await db.query<R>(`UPDATE exchange_orders SET status = 'canceled', reason = $2, updated_at = clock_timestamp() WHERE client_order_id = $1 AND status = 'open' RETURNING ${COLUMNS}`, [clientOrderId, reason])).rows[0];
}

/** Open orders older than the fill delay, oldest first. */
export async function dueOrders(db: Queryable, fillDelayMs: number, limit = 200): Promise<OrderRow[]> {
  return (await db.query<R>(`SELECT ${COLUMNS} FROM exchange_orders WHERE status = 'open' AND created_at <= clock_timestamp() - $1 * interval '1 millisecond' ORDER BY created_at LIMIT $2`, [fillDelayMs, limit])).rows;
}

/** Fills an order that is still open; false if it was canceled meanwhile. */
export async function fillOrder(db: Queryable, id: string, price: Cents): Promise<boolean> {
  const r = await db.query(`UPDATE exchange_orders SET status = 'filled', fill_price_cents = $2, filled_at = clock_timestamp(), updated_at = clock_timestamp() WHERE id = $1 AND status = 'open'`, [id, price.toString()]);
  return r.rowCount === 1;
}

export interface SimulationSettings {
  open: boolean;
  latencyMs: number;
  failureRatePpm: number;
  fillDelayMs: number;
}

type SettingsRow = { open: boolean; latency_ms: number; failure_rate_ppm: number; fill_delay_ms: number };
const fromRow = (r: SettingsRow): SimulationSettings => ({ open: r.open, latencyMs: r.latency_ms, failureRatePpm: r.failure_rate_ppm, fillDelayMs: r.fill_delay_ms });

/** The settings, created on first use with the initial fill delay. */
export async function getSettings(db: Queryable, initialFillDelayMs: number): Promise<SimulationSettings> {
  // Two statements, not one: under concurrent first use, a single INSERT … ON CONFLICT + SELECT
  // statement can see neither its own (skipped) insert nor the other's (not in its snapshot).
  await db.query('INSERT INTO exchange_settings (id, fill_delay_ms) VALUES (1, $1) ON CONFLICT (id) DO NOTHING', [initialFillDelayMs]);
  const { rows } = await db.query<SettingsRow>('SELECT open, latency_ms, failure_rate_ppm, fill_delay_ms FROM exchange_settings WHERE id = 1');
  return fromRow(rows[0]!);
}

export async function updateSettings(db: Queryable, initialFillDelayMs: number, patch: Partial<SimulationSettings>): Promise<SimulationSettings> {
  await getSettings(db, initialFillDelayMs);
  const { rows } = await db.query<SettingsRow>(
    `UPDATE exchange_settings SET open = coalesce($1, open), latency_ms = coalesce($2, latency_ms),
            failure_rate_ppm = coalesce($3, failure_rate_ppm), fill_delay_ms = coalesce($4, fill_delay_ms)
      WHERE id = 1 RETURNING open, latency_ms, failure_rate_ppm, fill_delay_ms`,
    [patch.open ?? null, patch.latencyMs ?? null, patch.failureRatePpm ?? null, patch.fillDelayMs ?? null],
  );
  return fromRow(rows[0]!);
}

/** The settings as the HTTP API shows them (failureRate 0–1). */
export function toExchangeSettings(s: SimulationSettings) {
  return { open: s.open, latencyMs: s.latencyMs, failureRate: s.failureRatePpm / PPM, fillDelayMs: s.fillDelayMs };
}
