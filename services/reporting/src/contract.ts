/**
 * reporting: read models (CQRS) built only from other services' events — the order history, the
 * fee income report and the customer's statement. It never calls another service to answer;
 * every answer says how current it is (`asOf`: the time of the newest event applied). Decision 25.
 */
import { DateTime, Page, PageRequest, T, defineContract, rpc } from '@simplebank/chassis';
import { AmountString, MoneyString, PriceString, QuantityString } from '@simplebank/money';

/** An ISO date ("2026-12-01", midnight UTC) or timestamp with its offset; `from` inclusive, `to` exclusive. */
export const Instant = T.String({
  maxLength: 40,
  description: 'An ISO date (YYYY-MM-DD, midnight UTC) or timestamp with its offset, e.g. "2026-12-01T09:30:00Z"',
});
const Period = { from: T.Optional(Instant), to: T.Optional(Instant) };
/** The time of the newest event the model has applied; null before its first. */
const AsOf = T.Union([DateTime, T.Null()]);

export const OrderStatus = T.Union([
  T.Literal('pending'),
  T.Literal('placed'),
  T.Literal('filled'),
  T.Literal('rejected'),
  T.Literal('failed'),
  T.Literal('canceled'),
  T.Literal('expired'),
]);
export const Side = T.Union([T.Literal('buy'), T.Literal('sell')]);
export const AssetType = T.Union([T.Literal('stock'), T.Literal('fund'), T.Literal('etf')]);
const KnownAssetType = T.Union([AssetType, T.Null()], {
  description: "Null for an asset the report's catalogue does not know",
});

export const OrderReportItem = T.Object({
  orderId: T.String(),
  accountId: T.String(),
  customerId: T.String(),
  assetId: T.String(),
  /** Null for an asset the catalogue does not know. */
  assetName: T.Union([T.String(), T.Null()]),
  assetType: KnownAssetType,
  side: Side,
  quantity: QuantityString,
  status: OrderStatus,
  reason: T.Union([T.String(), T.Null()]),
  fee: AmountString,
  fillPrice: T.Union([PriceString, T.Null()]),
  notional: T.Union([AmountString, T.Null()], {
    description: 'quantity × fillPrice, half-up to the cent (what the ledger settled); null until filled',
  }),
  placedAt: DateTime,
  filledAt: T.Union([DateTime, T.Null()]),
  source: T.Union([T.Literal('customer'), T.Literal('strategy')]),
  investmentId: T.Optional(T.String()),
});

export const FeeReport = T.Object({
  from: DateTime,
  to: DateTime,
  total: T.String({ ...MoneyString, description: 'Fees charged minus fees refunded in the period, to the cent' }),
  items: T.Array(
    T.Object({
      day: T.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'A day (UTC), YYYY-MM-DD' }),
      side: T.Union([Side, T.Null()], {
        description: "The order's side; null while the order is not known to the report yet",
      }),
      assetType: KnownAssetType,
      count: T.Integer({ description: 'Fees charged in the group' }),
      total: T.String({ ...MoneyString, description: 'Charged minus refunded in the group' }),
    }),
    { description: 'By day, side and asset type; a refund counts on its own day' },
  ),
});

export const StatementLine = T.Object({
  at: DateTime,
  kind: T.Union([
    T.Literal('deposit'),
    T.Literal('withdrawal'),
    T.Literal('buy'),
    T.Literal('sell'),
    T.Literal('fee'),
    T.Literal('fee_refund'),
  ]),
  description: T.String({ description: 'e.g. "Buy 2 AAPL @ 228.97"' }),
  amount: MoneyString,
  balance: T.String({ ...MoneyString, description: 'The running balance after this line' }),
});
export const Statement = T.Object({
  accountId: T.String(),
  from: DateTime,
  to: DateTime,
  openingBalance: MoneyString,
  closingBalance: T.String({
    ...MoneyString,
    description:
      "openingBalance + the sum of the lines' amounts: the account's cash, reserved cash included (decision 25)",
  }),
  lines: T.Array(StatementLine, {
    description:
      'One line per movement of cash, in time order; reservations and releases (cash held for an order or a withdrawal) are not movements',
  }),
});

export const reportingContract = defineContract({
  service: 'reporting',
  rpc: {
    /**
     * Orders placed in the period, newest first: a customer's own (`customerId` is ignored for
     * them); an admin's (or a service's) anyone's, or one customer's with `customerId`.
     */
    listOrders: rpc({
      request: T.Object({
        accountId: T.Optional(T.String({ minLength: 1, maxLength: 100 })),
        status: T.Optional(OrderStatus),
        customerId: T.Optional(T.String({ minLength: 1, maxLength: 100 })),
        ...Period,
        ...PageRequest,
      }),
      response: T.Object({ ...Page(OrderReportItem).properties, asOf: AsOf }),
    }),
    /** Admins (and services) only: fee income in the period (at most 366 days, decision 34) by day, side and asset type. */
    feeReport: rpc({ request: T.Object({ ...Period }), response: T.Object({ ...FeeReport.properties, asOf: AsOf }) }),
    /**
     * The account's statement for the period (at most 366 days, decision 34). The caller's ownership of the account is the
     * gateway's check (as for the ledger's entries): this service answers for any account id.
     */
    getStatement: rpc({
      request: T.Object({ accountId: T.String({ minLength: 1, maxLength: 100 }), ...Period }),
      response: T.Object({ ...Statement.properties, asOf: AsOf }),
    }),
    /**
     * Admins (and services) only: empties the projections and replays every retained event into
     * them, in one transaction (consumers wait meanwhile; readers see the old model until it commits).
     */
    rebuildProjections: rpc({
      request: T.Object({}),
      response: T.Object({
        events: T.Integer(),
        orders: T.Integer(),
        fees: T.Integer(),
        postings: T.Integer(),
        asOf: AsOf,
      }),
    }),
  },
});
