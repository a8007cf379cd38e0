/**
 * The public API's schemas: what validates requests and what the OpenAPI document shows, one
 * definition each (a service's own shapes come from its contract). Money, quantities and prices come from @simplebank/money; the public API also
 * refuses zero where it makes no sense (an amount, a quantity, a price).
 */
import { DateTime, T, type TSchema } from '@simplebank/chassis';
import { Account as AccountOfAccounts } from '@simplebank/accounts/contract';
import { FeeSchedule as FeeScheduleOfFees } from '@simplebank/fees/contract';
import { Order, OrderStatus } from '@simplebank/orders/contract';
import { Strategy } from '@simplebank/strategies/contract';
import { Investment } from '@simplebank/strategy-orders/contract';
import { Delivery, DeliveryChannel, Notification } from '@simplebank/notifications/contract';
import { Customer, Preferences, Role } from '@simplebank/customers/contract';
import { Asset, AssetType, Quote } from '@simplebank/market-data/contract';
import { LedgerEntry } from '@simplebank/transactions/contract';
import { Holdings } from '@simplebank/holdings/contract';
import { Payment, PaymentMethod } from '@simplebank/payments/contract';
import { FeeReport, OrderReportItem as OrderReportItemOfReporting, Statement } from '@simplebank/reporting/contract';
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

/**
 * What a service answers and the public API shows as it is: one definition, in the service's
 * contract (with the public API's descriptions). Where the public shape differs it is derived below
 * (`T.Omit`, `T.Composite`), not copied.
 */
export {
  Asset,
  AssetType,
  Customer,
  DateTime,
  Delivery,
  DeliveryChannel,
  FeeReport,
  Holdings,
  Investment,
  LedgerEntry,
  Notification,
  Order,
  OrderStatus,
  Payment,
  PaymentMethod,
  Preferences,
  Quote,
  Role,
  Statement,
  Strategy,
};

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

/** A mobile number in E.164 form: where SMS notifications go. */
export const Phone = T.String({
  pattern: '^\\+[1-9][0-9]{6,14}$',
  maxLength: 16,
  description: 'A mobile number in E.164 form, e.g. "+15550100123": where SMS notifications go',
  examples: ['+15550100123'],
});
export const Tokens = T.Object({
  accessToken: T.String({ description: 'A JWT, valid 15 minutes: send it as `Authorization: Bearer <accessToken>`' }),
  refreshToken: T.String({ description: 'Opaque, valid 7 days; rotates on every use' }),
  expiresIn: T.Integer({ description: 'Seconds the access token is valid' }),
});

export const Cash = T.Object({ available: MoneyString, reserved: MoneyString });
/** An account as accounts answers it, without its owner (the caller), with its cash from the ledger. */
export const Account = T.Composite([T.Omit(AccountOfAccounts, ['ownerId']), T.Object({ cash: Cash })]);

export const Side = T.Union([T.Literal('buy'), T.Literal('sell')]);

/** The fee schedule in force, without fees' internal version number. */
export const FeeSchedule = T.Omit(FeeScheduleOfFees, ['version']);
/** `from` / `to` of a report: an ISO date (midnight UTC) or a timestamp with its offset (a `+` sent as %2B). */
export const ReportInstant = T.String({
  pattern: '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2}))?$',
  maxLength: 40,
  description:
    'An ISO date (YYYY-MM-DD, midnight UTC) or timestamp with its offset, e.g. "2026-12-01T09:30:00Z"; `from` inclusive, `to` exclusive',
});
/** An order in a report, without the customer's id (the public API knows the customer by the token). */
export const OrderReportItem = T.Omit(OrderReportItemOfReporting, ['customerId']);
