/** strategy-orders: investing an amount in a strategy — one payment, then one buy per allocation (listings 4.3, 4.4). */
import { DateTime, Page, PageRequest, T, defineContract, event, rpc } from '@simplebank/chassis';
import { AmountString, MoneyString, QuantityString } from '@simplebank/money';
import { OrderStatus } from '@simplebank/orders/contract';
import { PaymentMethod } from '@simplebank/payments/contract';

export const InvestmentStatus = T.Union([
  T.Literal('awaiting_payment'),
  T.Literal('ordering'),
  T.Literal('completed'),
  T.Literal('failed'),
]);

export const Investment = T.Object({
  id: T.String(),
  strategyId: T.String(),
  destinationAccountId: T.String(),
  amount: AmountString,
  paymentId: T.String({
    description: 'The deposit of `amount` into the destination account (GET /v1/payments/{paymentId})',
  }),
  status: InvestmentStatus,
  reason: T.Optional(T.String({ description: '`payment_failed` when the payment failed (nothing is bought)' })),
  /** With each order's status as last heard. */
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
  /** The filled orders' cost (quantity × fill price, half-up to the cent). */
  invested: AmountString,
  /** The filled orders' fees. */
  fees: AmountString,
  /**
   * Meanwhile only what is already certain (orders still open hold their shares); 0.00 until the
   * payment completed. Signed: were a buy to cost more than its share (a fee schedule raised between
   * sizing and the order, decision 20), the truth is a negative leftover, not a failed read.
   */
  leftover: T.String({
    ...MoneyString,
    description:
      'Cash that stays in the account: once completed, amount − invested − fees; meanwhile what is already certain (decision 21)',
  }),
  createdAt: DateTime,
  updatedAt: DateTime,
});

export const strategyOrdersContract = defineContract({
  service: 'strategy-orders',
  rpc: {
    /**
     * Customers only, into their own open account (not_found for anyone else's; account_closed).
     * The amount is one deposit: positive, at most 1000000.00, a card with method card and only
     * then (validation_failed). Requests the payment and answers `awaiting_payment`; the rest
     * happens in the InvestInStrategy saga.
     */
    invest: rpc({
      request: T.Object({
        strategyId: T.String({ minLength: 1, maxLength: 100 }),
        destinationAccountId: T.String({ minLength: 1, maxLength: 100 }),
        amount: AmountString,
        method: PaymentMethod,
        card: T.Optional(T.Object({ number: T.String({ pattern: '^\\d{16}$' }) })),
      }),
      response: Investment,
      errors: ['not_found', 'account_closed'],
      idempotent: true,
    }),
    /** The caller's own (an admin: anyone's); not_found otherwise. */
    getInvestment: rpc({
      request: T.Object({ investmentId: T.String() }),
      response: Investment,
      errors: ['not_found'],
    }),
    /** The caller's investments (an admin: everyone's), newest first. */
    listInvestments: rpc({ request: T.Object({ ...PageRequest }), response: Page(Investment) }),
  },
  events: {
    /** Every change of an investment's status, with its totals as they then stood. */
    InvestmentStatusChanged: event({
      data: T.Object({
        investmentId: T.String(),
        customerId: T.String(),
        strategyId: T.String(),
        accountId: T.String(),
        amount: AmountString,
        status: InvestmentStatus,
        reason: T.Union([T.String(), T.Null()]),
        invested: AmountString,
        fees: AmountString,
        leftover: MoneyString,
        at: T.String({ format: 'date-time' }),
      }),
    }),
  },
});
