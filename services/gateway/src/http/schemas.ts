/**
 * The public API's schemas: what validates requests and what the OpenAPI document shows, one
 * definition each. Money, quantities and prices come from @simplebank/money; the public API also
 * refuses zero where it makes no sense (an amount, a quantity, a price).
 */
import { T, type TSchema } from '@simplebank/chassis';
import {
  AmountString,
  MAX_ORDER_NOTIONAL_CENTS,
  MAX_PAYMENT_CENTS,
  MAX_PRICE_CENTS,
  MoneyString,
  PriceString,
  QuantityString,
  RateString,
  formatMoney,
} from '@simplebank/money';

const NOT_ZERO = '(?!0+(?:\\.0+)?$)';
function positive(schema: { pattern?: string; description?: string; examples?: unknown }, description: string) {
  const pattern = schema.pattern!;
  return T.String({
    pattern: `^${NOT_ZERO}${pattern.replace(/^\^/, '')}`,
    description,
    examples: schema.examples as string[],
  });
}

/**
 * A positive decimal string with two decimals, at most `max` (whose integer part has 7 digits: "1000000.00").
 * JSON Schema's `maximum` applies to numbers only, so the limit is in the pattern (what validates),
 * and in the description and `x-maximum` (what the OpenAPI document shows). docs/limits.md.
 */
function positiveAtMost(max: bigint, description: string, examples: string[]) {
  const limit = formatMoney(max);
  if (!/^10{6}\.00$/.test(limit))
    throw new Error(`the pattern of positiveAtMost is written for a limit of 1000000.00, not ${limit}`);
  return T.String({
    pattern: `^${NOT_ZERO}(?:(?:0|[1-9]\\d{0,5})\\.\\d{2}|1000000\\.00)$`,
    description,
    examples,
    'x-maximum': limit,
  });
}

/** The limit per payment (a deposit or a withdrawal), docs/limits.md. */
export const MAX_PAYMENT = formatMoney(MAX_PAYMENT_CENTS);
/** The limit on prices (an admin's pin), docs/limits.md. */
export const MAX_PRICE = formatMoney(MAX_PRICE_CENTS);
/** The limit of an order's notional, quantity × limit price, docs/limits.md. */
export const MAX_ORDER_NOTIONAL = formatMoney(MAX_ORDER_NOTIONAL_CENTS);

/** The amount of a payment: positive, two decimals, at most the limit per payment ("250.00"). */
export const PositiveAmount = positiveAtMost(
  MAX_PAYMENT_CENTS,
  `A positive amount of money, at most ${MAX_PAYMENT} (the limit per payment): a decimal string with exactly two decimals, e.g. "250.00"`,
  ['250.00'],
);
/** A positive quantity with up to six decimals ("10", "0.125"). */
export const PositiveQuantity = positive(
  QuantityString,
  'A positive quantity: a decimal string with up to six decimals, e.g. "10" or "0.125"',
);
/** A price to pin: positive, two decimals, at most the limit on prices. */
export const PositivePrice = positiveAtMost(
  MAX_PRICE_CENTS,
  `A positive price, at most ${MAX_PRICE} (the limit on prices): a decimal string with exactly two decimals, e.g. "101.25"`,
  ['101.25'],
);
export { AmountString, MoneyString, PriceString, QuantityString, RateString };

export const Id = T.String({
  minLength: 1,
  maxLength: 100,
  pattern: '^[A-Za-z0-9._:-]+$',
  description: 'An opaque id',
});
export const DateTime = T.String({ format: 'date-time', description: 'ISO 8601 UTC, milliseconds' });
export const Strict = { additionalProperties: false } as const;

export const FieldError = T.Object({ path: T.String(), message: T.String() });
export const Problem = T.Object(
  {
    type: T.String({ description: 'A URI naming the kind of problem' }),
    title: T.String(),
    status: T.Integer(),
    detail: T.String(),
    instance: T.String({ description: 'The request path' }),
    code: T.String({
      description: 'A stable machine-readable code, e.g. validation_failed, not_found, insufficient_funds',
    }),
    requestId: T.Optional(T.String()),
    errors: T.Optional(T.Array(FieldError, { description: 'Field errors of a validation failure' })),
  },
  { $id: 'Problem', title: 'Problem details (RFC 9457)' },
);

/** `{items, nextCursor}`: newest first; nextCursor null on the last page. */
export function Page<S extends TSchema>(item: S) {
  return T.Object({ items: T.Array(item), nextCursor: T.Union([T.String(), T.Null()]) });
}
export const PageQuery = {
  limit: T.Optional(T.Integer({ minimum: 1, maximum: 200, default: 50, description: 'Page size (1–200, default 50)' })),
  cursor: T.Optional(T.String({ minLength: 1, maxLength: 500, description: 'Opaque cursor from the previous page' })),
};

export const Role = T.Union([T.Literal('customer'), T.Literal('admin')]);
export const Preferences = T.Object(
  { email: T.Boolean(), sms: T.Boolean(), push: T.Boolean() },
  {
    description:
      'Notification channels besides the in-app inbox (always on): email to your e-mail address, sms to `phone`; push is recorded only',
  },
);
/** A mobile number in E.164 form: where SMS notifications go. */
export const Phone = T.String({
  pattern: '^\\+[1-9][0-9]{6,14}$',
  maxLength: 16,
  description: 'A mobile number in E.164 form, e.g. "+15550100123": where SMS notifications go',
  examples: ['+15550100123'],
});
export const Customer = T.Object({
  id: T.String(),
  email: T.String(),
  name: T.String(),
  role: Role,
  preferences: Preferences,
  phone: T.Union([T.String(), T.Null()], { description: 'Your mobile number (E.164), null until you give one' }),
  createdAt: DateTime,
});
export const Tokens = T.Object({
  accessToken: T.String({ description: 'A JWT, valid 15 minutes: send it as `Authorization: Bearer <accessToken>`' }),
  refreshToken: T.String({ description: 'Opaque, valid 7 days; rotates on every use' }),
  expiresIn: T.Integer({ description: 'Seconds the access token is valid' }),
});

export const Cash = T.Object({ available: MoneyString, reserved: MoneyString });
export const Account = T.Object({
  id: T.String(),
  name: T.String(),
  currency: T.Literal('USD'),
  status: T.Union([T.Literal('open'), T.Literal('closed')]),
  cash: Cash,
  createdAt: DateTime,
});

export const PaymentMethod = T.Union([T.Literal('card'), T.Literal('bank_transfer')]);
export const Payment = T.Object({
  id: T.String(),
  accountId: T.String(),
  kind: T.Union([T.Literal('deposit'), T.Literal('withdrawal')]),
  method: PaymentMethod,
  amount: AmountString,
  status: T.Union([T.Literal('pending'), T.Literal('settling'), T.Literal('completed'), T.Literal('failed')], {
    description:
      'pending: at the payment provider; settling: paid by the provider, not yet posted in the ledger (tried again); completed: paid and posted in the ledger (the cash is there); failed: refused by the provider',
  }),
  reason: T.Optional(T.String()),
  createdAt: DateTime,
  updatedAt: DateTime,
});

export const LedgerEntry = T.Object({
  id: T.String(),
  at: DateTime,
  kind: T.Union([
    T.Literal('deposit'),
    T.Literal('withdrawal'),
    T.Literal('reservation'),
    T.Literal('release'),
    T.Literal('fee'),
    T.Literal('fee_refund'),
    T.Literal('trade'),
  ]),
  asset: T.String({ description: '"USD" or a ticker' }),
  amount: T.Optional(MoneyString),
  quantity: T.Optional(T.String()),
  book: T.Union([T.Literal('available'), T.Literal('reserved')]),
  orderId: T.Optional(T.String()),
  paymentId: T.Optional(T.String()),
});

export const Holdings = T.Object({
  accountId: T.String(),
  asOf: DateTime,
  valuation: T.Union([T.Literal('live'), T.Literal('stale'), T.Literal('unavailable')]),
  cash: Cash,
  positions: T.Array(
    T.Object({
      assetId: T.String(),
      quantity: T.String(),
      reservedQuantity: T.String(),
      averageCost: PriceString,
      price: T.Optional(PriceString),
      value: T.Optional(MoneyString),
    }),
  ),
  totalValue: T.Optional(MoneyString),
});

export const AssetType = T.Union([T.Literal('stock'), T.Literal('fund'), T.Literal('etf')]);
export const Asset = T.Object({
  id: T.String(),
  name: T.String(),
  type: AssetType,
  currency: T.Literal('USD'),
  price: PriceString,
  updatedAt: DateTime,
});
export const Quote = T.Object({ assetId: T.String(), price: PriceString, at: DateTime });

export const Side = T.Union([T.Literal('buy'), T.Literal('sell')]);
export const OrderStatus = T.Union([
  T.Literal('pending'),
  T.Literal('placed'),
  T.Literal('filled'),
  T.Literal('rejected'),
  T.Literal('failed'),
  T.Literal('canceled'),
  T.Literal('expired'),
]);
export const Order = T.Object({
  id: T.String(),
  accountId: T.String(),
  assetId: T.String(),
  side: Side,
  quantity: QuantityString,
  type: T.Literal('market'),
  status: OrderStatus,
  quotePrice: PriceString,
  limitPrice: PriceString,
  fee: AmountString,
  fillPrice: T.Union([PriceString, T.Null()]),
  reason: T.Union([T.String(), T.Null()]),
  createdAt: DateTime,
  updatedAt: DateTime,
  history: T.Array(T.Object({ status: OrderStatus, at: DateTime, reason: T.Optional(T.String()) })),
  source: T.Union([T.Literal('customer'), T.Literal('strategy')], {
    description: 'Who placed it: the customer, or an investment in a strategy (POST /v1/strategies/{id}/investments)',
  }),
  investmentId: T.Optional(T.String({ description: 'With source `strategy`: the investment the order is part of' })),
});

export const Strategy = T.Object({
  id: T.String(),
  name: T.String(),
  assets: T.Array(
    T.Object({
      assetId: T.String(),
      percentage: T.String({
        description: 'A percentage with exactly two decimals, e.g. "33.33"; together they sum to 100',
      }),
    }),
    { description: 'In the order the admin gave them' },
  ),
  createdById: T.String({ description: 'The admin who created it' }),
  createdAt: DateTime,
});

export const Investment = T.Object({
  id: T.String(),
  strategyId: T.String(),
  destinationAccountId: T.String(),
  amount: AmountString,
  paymentId: T.String({
    description: 'The deposit of `amount` into the destination account (GET /v1/payments/{paymentId})',
  }),
  status: T.Union([T.Literal('awaiting_payment'), T.Literal('ordering'), T.Literal('completed'), T.Literal('failed')]),
  reason: T.Optional(T.String({ description: '`payment_failed` when the payment failed (nothing is bought)' })),
  orders: T.Array(
    T.Object({ orderId: T.String(), assetId: T.String(), quantity: QuantityString, status: OrderStatus }),
    {
      description:
        "One buy per allocation big enough for its fee, in the strategy's order (GET /v1/orders/{orderId}: source `strategy`)",
    },
  ),
  skipped: T.Array(T.Object({ assetId: T.String(), share: AmountString, reason: T.String() }), {
    description:
      'Allocations with no order, their share left over: `too_small_for_fee`, `no_quote`, or the code orders refused the buy with',
  }),
  invested: AmountString,
  fees: AmountString,
  leftover: T.String({
    ...MoneyString,
    description:
      'Cash that stays in the account: once completed, amount − invested − fees; meanwhile what is already certain (decision 21)',
  }),
  createdAt: DateTime,
  updatedAt: DateTime,
});

export const FeeSchedule = T.Object({ minimum: AmountString, rate: RateString, effectiveFrom: DateTime });
export const Notification = T.Object({
  id: T.String(),
  kind: T.String(),
  title: T.String(),
  body: T.String(),
  at: DateTime,
  read: T.Boolean(),
});
export const DeliveryChannel = T.Union([T.Literal('in_app'), T.Literal('email'), T.Literal('sms')], {
  description: "in_app: the inbox (always); email and sms: by the customer's preferences",
});
export const Delivery = T.Object({
  id: T.String(),
  notificationId: T.String(),
  customerId: T.String(),
  channel: DeliveryChannel,
  to: T.Union([T.String(), T.Null()], {
    description:
      'The customer id (in_app), the e-mail address (email) or the phone number (sms); null when none was on file',
  }),
  subject: T.String({ description: "The notification's title" }),
  status: T.Union([T.Literal('delivered'), T.Literal('failed'), T.Literal('pending')], {
    description:
      'pending: not sent yet, or tried and due again (retried with back-off); failed: given up (a permanent refusal, no address, or too many attempts); delivered: handed to the channel',
  }),
  attempts: T.Integer(),
  at: T.String({
    format: 'date-time',
    description: 'When it was delivered, given up or last tried (planned, before a first attempt)',
  }),
  lastError: T.Optional(T.String({ description: 'Why the last attempt failed' })),
});

/** `from` / `to` of a report: an ISO date (midnight UTC) or a timestamp with its offset (a `+` sent as %2B). */
export const ReportInstant = T.String({
  pattern: '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2}))?$',
  maxLength: 40,
  description:
    'An ISO date (YYYY-MM-DD, midnight UTC) or timestamp with its offset, e.g. "2026-12-01T09:30:00Z"; `from` inclusive, `to` exclusive',
});
export const ReportAssetType = T.Union([AssetType, T.Null()], {
  description: "Null for an asset the report's catalogue does not know",
});
export const OrderReportItem = T.Object({
  orderId: T.String(),
  accountId: T.String(),
  assetId: T.String(),
  assetName: T.Union([T.String(), T.Null()]),
  assetType: ReportAssetType,
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
      day: T.String({ description: 'A day (UTC), YYYY-MM-DD' }),
      side: T.Union([Side, T.Null()], {
        description: "The order's side; null while the order is not known to the report yet",
      }),
      assetType: ReportAssetType,
      count: T.Integer({ description: 'Fees charged in the group' }),
      total: T.String({ ...MoneyString, description: 'Charged minus refunded in the group' }),
    }),
    { description: 'By day, side and asset type; a refund counts on its own day' },
  ),
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
  lines: T.Array(
    T.Object({
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
    }),
    {
      description:
        'One line per movement of cash, in time order; reservations and releases (cash held for an order or a withdrawal) are not movements',
    },
  ),
});
