/** market-data: instruments and their prices (a seeded random walk; admins can pin a price). */
import { DateTime, Page, PageRequest, T, defineContract, event, rpc } from '@simplebank/chassis';
import { PriceString } from '@simplebank/money';

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
/** At most this many points in one answer: enough for a chart, small whatever the period. */
export const MAX_HISTORY_POINTS = 200;
export const PriceHistory = T.Object({
  assetId: T.String(),
  from: T.String({ format: 'date-time' }),
  to: T.String({ format: 'date-time' }),
  points: T.Array(T.Object({ at: T.String({ format: 'date-time' }), price: PriceString }), {
    maxItems: MAX_HISTORY_POINTS,
  }),
});

export const marketDataContract = defineContract({
  service: 'market-data',
  rpc: {
    getAsset: rpc({ request: T.Object({ assetId: T.String() }), response: Asset, errors: ['not_found'] }),
    /** `q` matches ticker or name, case-insensitive. */
    searchAssets: rpc({
      request: T.Object({ q: T.Optional(T.String({ maxLength: 100 })), type: T.Optional(AssetType), ...PageRequest }),
      response: Page(Asset),
    }),
    /** The given assets (a batch of getAsset, e.g. for the gateway's GraphQL loaders); unknown ids are left out, not an error. */
    getAssets: rpc({
      request: T.Object({ assetIds: T.Array(T.String(), { maxItems: 200 }) }),
      response: T.Object({ items: T.Array(Asset) }),
    }),
    /** Current prices of the given assets (all when omitted). */
    getPrices: rpc({
      request: T.Object({ assetIds: T.Optional(T.Array(T.String(), { maxItems: 200 })) }),
      response: T.Object({ items: T.Array(Quote) }),
    }),
    /**
     * The prices published in a period (default: the last hour up to now; at most 366 days), oldest
     * first, downsampled to at most `maxPoints` (≤ 200): the period is cut into that many equal spans
     * and each span with a price gives its last one. validation_failed when `from` is not before `to`.
     */
    getPriceHistory: rpc({
      request: T.Object({
        assetId: T.String(),
        from: T.Optional(T.String({ format: 'date-time' })),
        to: T.Optional(T.String({ format: 'date-time' })),
        maxPoints: T.Optional(T.Integer({ minimum: 2, maximum: MAX_HISTORY_POINTS })),
      }),
      response: PriceHistory,
      errors: ['not_found'],
    }),
    /** Admins only. The price is from 0.01 to the limit on prices, 1000000.00 (validation_failed otherwise). */
    pinPrice: rpc({
      request: T.Object({ assetId: T.String(), price: PriceString }),
      response: Asset,
      errors: ['not_found'],
    }),
    unpinPrice: rpc({ request: T.Object({ assetId: T.String() }), response: Asset, errors: ['not_found'] }),
  },
  events: {
    /** Throttled per asset. */
    PriceChanged: event({ data: Quote }),
  },
});
