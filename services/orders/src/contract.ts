/** orders: customers' orders, their status history, and the place-order saga that orchestrates them. */
import { DateTime, Page, PageRequest, T, defineContract, event, rpc } from '@simplebank/chassis';
import { AmountString, PriceString, QuantityString } from '@simplebank/money';

export const OrderStatus = T.Union([
  T.Literal('pending'),
  T.Literal('placed'),
  T.Literal('filled'),
  T.Literal('rejected'),
  T.Literal('failed'),
  T.Literal('canceled'),
  T.Literal('expired'),
]);
/**
 * Who placed an order: a customer through the public API, or strategy-orders investing in a strategy
 * for the customer (with the investment's id), so reports can tell them apart.
 */
export const OrderSource = T.Union([T.Literal('customer'), T.Literal('strategy')], {
  description: 'Who placed it: the customer, or an investment in a strategy (POST /v1/strategies/{id}/investments)',
});

export const Order = T.Object({
  id: T.String(),
  accountId: T.String(),
  assetId: T.String(),
  side: T.Union([T.Literal('buy'), T.Literal('sell')]),
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
  source: OrderSource,
  investmentId: T.Optional(T.String({ description: 'With source `strategy`: the investment the order is part of' })),
});

/** The most accounts one listOrdersOf call may ask for. */
export const MAX_ACCOUNTS_PER_CALL = 100;

export const ordersContract = defineContract({
  service: 'orders',
  rpc: {
    /**
     * Validates (asset exists, quantity > 0, account open and the caller's), takes the quote,
     * stores the order `pending` and starts the PlaceOrder saga, in one transaction. An order whose
     * notional, quantity × limit price, is over the limit of 10000000.00 is refused (422
     * limit_exceeded, a field error on /quantity; docs/limits.md).
     *
     * `source` defaults to `customer`. Only strategy-orders may place a `strategy` order (403
     * otherwise), with its `investmentId`, and may bound a buy's limit price by `maxLimitPrice`: the
     * order's limit is then the lower of it and 5% above the quote, so the buy never reserves more
     * than the caller sized it for (decision 20).
     */
    placeOrder: rpc({
      request: T.Object({
        accountId: T.String(),
        assetId: T.String(),
        side: T.Union([T.Literal('buy'), T.Literal('sell')]),
        quantity: QuantityString,
        source: T.Optional(OrderSource),
        investmentId: T.Optional(T.String({ minLength: 1, maxLength: 100 })),
        maxLimitPrice: T.Optional(PriceString),
      }),
      response: Order,
      errors: ['not_found', 'validation_failed', 'account_closed', 'limit_exceeded'],
      idempotent: true,
    }),
    getOrder: rpc({ request: T.Object({ orderId: T.String() }), response: Order, errors: ['not_found'] }),
    /** The caller's orders, newest first, optionally of one account and one status. */
    listOrders: rpc({
      request: T.Object({ accountId: T.Optional(T.String()), status: T.Optional(OrderStatus), ...PageRequest }),
      response: Page(Order),
    }),
    /**
     * The first page of the caller's orders of each of several accounts in one call (the GraphQL
     * gateway's batches), in the order asked: `limit` newest per account, optionally of one status,
     * each page with the cursor listOrders continues it from.
     */
    listOrdersOf: rpc({
      request: T.Object({
        accountIds: T.Array(T.String(), { minItems: 1, maxItems: MAX_ACCOUNTS_PER_CALL }),
        status: T.Optional(OrderStatus),
        limit: PageRequest.limit,
      }),
      response: T.Object({
        items: T.Array(
          T.Object({ accountId: T.String(), items: T.Array(Order), nextCursor: T.Union([T.String(), T.Null()]) }),
        ),
      }),
    }),
    /** Before placement the saga is interrupted; once placed, market cancels on the exchange. */
    cancelOrder: rpc({
      request: T.Object({ orderId: T.String() }),
      response: Order,
      errors: ['not_found', 'order_not_cancelable'],
    }),
  },
  events: {
    OrderStatusChanged: event({
      data: T.Object({
        orderId: T.String(),
        accountId: T.String(),
        customerId: T.String(),
        assetId: T.String(),
        side: T.Union([T.Literal('buy'), T.Literal('sell')]),
        quantity: QuantityString,
        status: OrderStatus,
        reason: T.Union([T.String(), T.Null()]),
        fillPrice: T.Union([PriceString, T.Null()]),
        fee: AmountString,
        at: T.String(),
        /** Absent on events published before orders had sources: those are `customer` orders. */
        source: T.Optional(OrderSource),
        investmentId: T.Optional(T.String()),
      }),
    }),
  },
});
