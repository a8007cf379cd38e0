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
  /** Where to tell the client of a fill or cancel (never shown in answers). */
  callback_url: string | null;
  callback_token: string | null;
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
const COLUMNS =
  'id, client_order_id, asset_id, side, quantity_micros, limit_price_cents, status, fill_price_cents, filled_at, reason, created_at, callback_url, callback_token';

export interface NewOrder {
  clientOrderId: string;
  assetId: string;
  side: 'buy' | 'sell';
  quantity: Micros;
  limit: Cents;
  /** Filled at once at this price (no fill delay), else open. */
  fillPrice?: Cents;
  callback?: { url: string; token: string | null };
}

/** Inserts a new order (open, or filled at `fillPrice`); `created: false` with the existing one when the client order id is known. */
export async function placeOrder(db: Queryable, o: NewOrder): Promise<{ created: boolean; order: OrderRow }> {
  const inserted = await db.query<R>(
    `INSERT INTO exchange_orders (id, client_order_id, asset_id, side, quantity_micros, limit_price_cents, status, fill_price_cents, filled_at, callback_url, callback_token)
     VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7::bigint IS NULL THEN 'open' ELSE 'filled' END, $7::bigint,
             CASE WHEN $7::bigint IS NULL THEN NULL ELSE clock_timestamp() END, $8, $9)
     ON CONFLICT (client_order_id) DO NOTHING RETURNING ${COLUMNS}`,
    [
      randomUUID(),
      o.clientOrderId,
      o.assetId,
      o.side,
      o.quantity.toString(),
      o.limit.toString(),
      o.fillPrice?.toString() ?? null,
      o.callback?.url ?? null,
      o.callback?.token ?? null,
    ],
  );
  if (inserted.rows[0]) return { created: true, order: inserted.rows[0] };
  const existing = await findByClientOrderId(db, o.clientOrderId);
  return { created: false, order: existing! };
}

export async function findByClientOrderId(db: Queryable, clientOrderId: string): Promise<OrderRow | undefined> {
  return (await db.query<R>(`SELECT ${COLUMNS} FROM exchange_orders WHERE client_order_id = $1`, [clientOrderId]))
    .rows[0];
}

export async function getOrder(db: Queryable, id: string): Promise<OrderRow | undefined> {
  return (await db.query<R>(`SELECT ${COLUMNS} FROM exchange_orders WHERE id = $1`, [id])).rows[0];
}

/** Cancels an open order; undefined when it is not open (anymore). */
export async function cancelOrder(db: Queryable, id: string): Promise<OrderRow | undefined> {
  return (
    await db.query<R>(
      `UPDATE exchange_orders SET status = 'canceled', reason = 'canceled_by_client', updated_at = clock_timestamp() WHERE id = $1 AND status = 'open' RETURNING ${COLUMNS}`,
      [id],
    )
  ).rows[0];
}

/** Cancels the open order with this client order id; undefined when there is none open. */
export async function cancelByClientOrderId(
  db: Queryable,
  clientOrderId: string,
  reason = 'canceled_by_client',
): Promise<OrderRow | undefined> {
  return (
    await db.query<R>(
      `UPDATE exchange_orders SET status = 'canceled', reason = $2, updated_at = clock_timestamp() WHERE client_order_id = $1 AND status = 'open' RETURNING ${COLUMNS}`,
      [clientOrderId, reason],
    )
  ).rows[0];
}

/** An open order, and in how many ms it is due (0: due now), by the database's clock. */
export type OpenOrder = OrderRow & { due_in_ms: number };

/**
 * The oldest open orders with when each is due (`fillDelayMs` after its placement): the due ones
 * first, then the next to come due. One query tells the fill worker both what to fill and how long
 * it may sleep.
 */
export async function openOrders(db: Queryable, fillDelayMs: number, limit: number): Promise<OpenOrder[]> {
  const { rows } = await db.query<R & { due_in_ms: number }>(
    `SELECT ${COLUMNS}, greatest(0, ceil(extract(epoch FROM created_at + $1 * interval '1 millisecond' - clock_timestamp()) * 1000))::integer AS due_in_ms
       FROM exchange_orders WHERE status = 'open' ORDER BY created_at LIMIT $2`,
    [fillDelayMs, limit],
  );
  return rows;
}

/** Fills an order that is still open; undefined if it was canceled meanwhile. */
export async function fillOrder(db: Queryable, id: string, price: Cents): Promise<OrderRow | undefined> {
  return (
    await db.query<R>(
      `UPDATE exchange_orders SET status = 'filled', fill_price_cents = $2, filled_at = clock_timestamp(), updated_at = clock_timestamp() WHERE id = $1 AND status = 'open' RETURNING ${COLUMNS}`,
      [id, price.toString()],
    )
  ).rows[0];
}

export interface SimulationSettings {
  open: boolean;
  latencyMs: number;
  failureRatePpm: number;
  fillDelayMs: number;
}

type SettingsRow = { open: boolean; latency_ms: number; failure_rate_ppm: number; fill_delay_ms: number };
const fromRow = (r: SettingsRow): SimulationSettings => ({
  open: r.open,
  latencyMs: r.latency_ms,
  failureRatePpm: r.failure_rate_ppm,
  fillDelayMs: r.fill_delay_ms,
});

/**
 * The settings as last read or written by this process, per database: every placement and every
 * fill-worker round needs them (a statement, and a commit, each), and only this service changes
 * them (updateSettings, which refreshes the entry). Read again after SETTINGS_FRESH_MS regardless.
 */
const settingsSeen = new WeakMap<Queryable, { settings: SimulationSettings; at: number }>();
/** Writes by this process, per database: a read that a write overtook must not replace the written settings. */
const settingsWrites = new WeakMap<Queryable, number>();
const SETTINGS_FRESH_MS = 1000;

/** The settings, created on first use with the initial fill delay. */
export async function getSettings(db: Queryable, initialFillDelayMs: number): Promise<SimulationSettings> {
  const seen = settingsSeen.get(db);
  if (seen && Date.now() - seen.at < SETTINGS_FRESH_MS) return seen.settings;
  const writes = settingsWrites.get(db) ?? 0;
  const settings = await readSettings(db, initialFillDelayMs);
  if ((settingsWrites.get(db) ?? 0) === writes) settingsSeen.set(db, { settings, at: Date.now() });
  return settings;
}

async function readSettings(db: Queryable, initialFillDelayMs: number): Promise<SimulationSettings> {
  const read = () =>
    db.query<SettingsRow>(
      'SELECT open, latency_ms, failure_rate_ppm, fill_delay_ms FROM exchange_settings WHERE id = 1',
    );
  let { rows } = await read();
  if (!rows[0]) {
    // Insert and read again in two statements: under concurrent first use, a single INSERT … ON
    // CONFLICT + SELECT statement can see neither its own (skipped) insert nor the other's.
    await db.query('INSERT INTO exchange_settings (id, fill_delay_ms) VALUES (1, $1) ON CONFLICT (id) DO NOTHING', [
      initialFillDelayMs,
    ]);
    ({ rows } = await read());
  }
  return fromRow(rows[0]!);
}

export async function updateSettings(
  db: Queryable,
  initialFillDelayMs: number,
  patch: Partial<SimulationSettings>,
): Promise<SimulationSettings> {
  await readSettings(db, initialFillDelayMs);
  const { rows } = await db.query<SettingsRow>(
    `UPDATE exchange_settings SET open = coalesce($1, open), latency_ms = coalesce($2, latency_ms),
            failure_rate_ppm = coalesce($3, failure_rate_ppm), fill_delay_ms = coalesce($4, fill_delay_ms)
      WHERE id = 1 RETURNING open, latency_ms, failure_rate_ppm, fill_delay_ms`,
    [patch.open ?? null, patch.latencyMs ?? null, patch.failureRatePpm ?? null, patch.fillDelayMs ?? null],
  );
  const settings = fromRow(rows[0]!);
  settingsWrites.set(db, (settingsWrites.get(db) ?? 0) + 1);
  settingsSeen.set(db, { settings, at: Date.now() });
  return settings;
}

/** The settings as the HTTP API shows them (failureRate 0–1). */
export function toExchangeSettings(s: SimulationSettings) {
  return { open: s.open, latencyMs: s.latencyMs, failureRate: s.failureRatePpm / PPM, fillDelayMs: s.fillDelayMs };
}
