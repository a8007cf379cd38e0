/**
 * market: our gateway to the stock exchange. A job queue in front of it (commands); it places,
 * cancels and follows orders there (timeout, retries within the placement window, a circuit
 * breaker), and publishes what happened.
 */
import { T, command, defineContract, event, rpc } from '@simplebank/chassis';
import { PriceString, QuantityString } from '@simplebank/money';

export const marketContract = defineContract({
  service: 'market',
  rpc: {
    getExchangeOrder: rpc({
      request: T.Object({ orderId: T.String() }),
      response: T.Object({
        orderId: T.String(),
        exchangeOrderId: T.Union([T.String(), T.Null()]),
        status: T.String(),
        attempts: T.Integer(),
      }),
      errors: ['not_found'],
    }),
  },
  commands: {
    /** Place on the exchange; give up with `exchange_unavailable` after `placeBy`. Idempotent on orderId. */
    PlaceOrderOnExchange: command({
      data: T.Object({
        orderId: T.String(),
        assetId: T.String(),
        side: T.Union([T.Literal('buy'), T.Literal('sell')]),
        quantity: QuantityString,
        limitPrice: PriceString,
        placeBy: T.String({ format: 'date-time' }),
      }),
    }),
    /** Cancel on the exchange (or drop the placement job if not placed yet). */
    CancelOrderOnExchange: command({
      data: T.Object({
        orderId: T.String(),
        reason: T.Union([T.Literal('canceled_by_customer'), T.Literal('expired')]),
      }),
    }),
  },
  events: {
    OrderPlacedOnExchange: event({
      data: T.Object({ orderId: T.String(), exchangeOrderId: T.String(), at: T.String() }),
    }),
    OrderPlacementFailed: event({
      data: T.Object({
        orderId: T.String(),
        reason: T.Union([T.Literal('exchange_rejected'), T.Literal('exchange_unavailable')]),
        at: T.String(),
      }),
    }),
    OrderFilledOnExchange: event({
      data: T.Object({
        orderId: T.String(),
        exchangeOrderId: T.String(),
        quantity: QuantityString,
        fillPrice: PriceString,
        at: T.String(),
      }),
    }),
    /** The exchange confirmed the cancel before any fill (or the order was never placed). */
    OrderCanceledOnExchange: event({
      data: T.Object({
        orderId: T.String(),
        reason: T.Union([T.Literal('canceled_by_customer'), T.Literal('expired')]),
        at: T.String(),
      }),
    }),
  },
});
