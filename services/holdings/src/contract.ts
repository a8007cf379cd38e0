/** holdings: a read model of positions per account, projected from ledger events, valued at current prices. */
import { DateTime, T, defineContract, rpc, type Static } from '@simplebank/chassis';
import { MoneyString, PriceString } from '@simplebank/money';

export const Holdings = T.Object({
  accountId: T.String(),
  asOf: DateTime,
  valuation: T.Union([T.Literal('live'), T.Literal('stale'), T.Literal('unavailable')]),
  cash: T.Object({ available: MoneyString, reserved: MoneyString }),
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
export type Holdings = Static<typeof Holdings>;

/** The most accounts one getHoldingsOf call may ask for (accounts' getAccounts takes as many). */
export const MAX_ACCOUNTS_PER_CALL = 100;

export const holdingsContract = defineContract({
  service: 'holdings',
  rpc: {
    /** Never an error because prices are missing: live, stale (cache ≤ 5 minutes) or unavailable. */
    getHoldings: rpc({ request: T.Object({ accountId: T.String() }), response: Holdings, errors: ['not_found'] }),
    /** Several accounts' holdings in one call (the GraphQL gateway's batches), in the order asked; null where getHoldings would answer not_found. */
    getHoldingsOf: rpc({
      request: T.Object({ accountIds: T.Array(T.String(), { minItems: 1, maxItems: MAX_ACCOUNTS_PER_CALL }) }),
      response: T.Object({ items: T.Array(T.Union([Holdings, T.Null()])) }),
    }),
  },
});
