/**
 * exchange: a simulated third-party stock exchange, reached only over HTTP (not a SimpleBank
 * service: it has no RPC methods and publishes no events). Its HTTP API, under `/exchange`:
 *   POST /exchange/orders            PlaceExchangeOrder → 200/201 ExchangeOrder (idempotent on clientOrderId)
 *   GET  /exchange/orders/{id}       → ExchangeOrder
 *   POST /exchange/orders/{id}/cancel → ExchangeOrder (status canceled, or filled if too late: 409)
 *   POST /exchange/orders/by-client-id/{clientOrderId}/cancel → the same, found by our client order
 *        id (for a placement whose answer never came): 200 ExchangeOrder canceled, 409 ExchangeOrder
 *        filled (or rejected), 404 if no order with that id arrived. After a 404 the id is
 *        remembered (in memory): a placement with it still in flight is recorded canceled, not filled.
 *   GET  /exchange/settings, PUT /exchange/settings  ExchangeSettings
 * It fills an order in full, after `fillDelayMs`, at market-data's current price, only within the
 * limit (with no delay, at placement: the answer is already `filled`); closed, it accepts orders and
 * fills none; failing, a share of requests answer 5xx or hang.
 *
 * A placement may name a `callbackUrl`: after a fill or a cancel the exchange POSTs an
 * ExchangeCallback there, with `authorization: Bearer <callbackToken>`, best effort (a few tries). It
 * is a wake-up, not a record: the client reads the order again to learn what happened.
 */
import { T, defineContract } from '@simplebank/chassis';
import { PriceString, QuantityString } from '@simplebank/money';

export const PlaceExchangeOrder = T.Object(
  {
    clientOrderId: T.String({ minLength: 1, maxLength: 100 }),
    assetId: T.String(),
    side: T.Union([T.Literal('buy'), T.Literal('sell')]),
    quantity: QuantityString,
    limitPrice: PriceString,
    /** Where to POST an ExchangeCallback when the order fills or is canceled (http or https). */
    callbackUrl: T.Optional(T.String({ minLength: 1, maxLength: 2000 })),
    /** Sent back as `authorization: Bearer <callbackToken>` with each callback. */
    callbackToken: T.Optional(T.String({ minLength: 16, maxLength: 200 })),
  },
  { additionalProperties: false },
);
export const ExchangeOrder = T.Object({
  id: T.String(),
  clientOrderId: T.String(),
  assetId: T.String(),
  side: T.Union([T.Literal('buy'), T.Literal('sell')]),
  quantity: QuantityString,
  limitPrice: PriceString,
  status: T.Union([T.Literal('open'), T.Literal('filled'), T.Literal('canceled'), T.Literal('rejected')]),
  fillPrice: T.Union([PriceString, T.Null()]),
  filledAt: T.Union([T.String(), T.Null()]),
  reason: T.Union([T.String(), T.Null()]),
  createdAt: T.String(),
});
/** The body of a callback: which order changed, and to what. */
export const ExchangeCallback = T.Object(
  {
    clientOrderId: T.String({ minLength: 1, maxLength: 100 }),
    exchangeOrderId: T.String({ minLength: 1, maxLength: 100 }),
    status: ExchangeOrder.properties.status,
  },
  { additionalProperties: false },
);
export const ExchangeSettings = T.Object({
  open: T.Boolean(),
  latencyMs: T.Integer({ minimum: 0, maximum: 60_000 }),
  /** Share of requests that fail (0–1). */
  failureRate: T.Number({ minimum: 0, maximum: 1 }),
  fillDelayMs: T.Integer({ minimum: 0, maximum: 3_600_000 }),
});
export const EXCHANGE_BASE_PATH = '/exchange';
/**
 * Every request must carry the exchange's API key, `authorization: Bearer <EXCHANGE_API_KEY>`
 * (else 401): the setting and its resolution, shared by the exchange and its clients (decision 0015).
 */
export { EXCHANGE_API_KEY, apiKeySettings, exchangeApiKey } from './api-key.ts';

export const exchangeContract = defineContract({ service: 'exchange' });
