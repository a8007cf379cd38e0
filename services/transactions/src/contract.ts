/**
 * transactions: the double-entry ledger of cash and positions per account. Books per account and
 * asset: `available` and `reserved`; system books `external`, `house:fees`, `exchange`. For every
 * asset the entries of a posting sum to zero, and so does the whole ledger (the trial balance).
 * Every state-changing method is idempotent on its key: a retried command posts nothing twice.
 */
import { DateTime, Page, PageRequest, T, defineContract, event, rpc } from '@simplebank/chassis';
import { AmountString, MoneyString, PriceString, QuantityString } from '@simplebank/money';

export const Side = T.Union([T.Literal('buy'), T.Literal('sell')]);
export const EntryKind = T.Union([
  T.Literal('deposit'),
  T.Literal('withdrawal'),
  T.Literal('reservation'),
  T.Literal('release'),
  T.Literal('fee'),
  T.Literal('fee_refund'),
  T.Literal('trade'),
]);
/** The account's own side of a posting, as the public API shows it: `amount` for USD, `quantity` for a ticker. */
export const LedgerEntry = T.Object({
  id: T.String(),
  at: DateTime,
  kind: EntryKind,
  asset: T.String({ description: '"USD" or a ticker' }),
  amount: T.Optional(MoneyString),
  quantity: T.Optional(T.String()),
  book: T.Union([T.Literal('available'), T.Literal('reserved')]),
  orderId: T.Optional(T.String()),
  paymentId: T.Optional(T.String()),
});
/** The most accounts one getBalancesOf call may ask for. */
export const MAX_ACCOUNTS_PER_CALL = 100;

export const Balances = T.Object({
  accountId: T.String(),
  cash: T.Object({ available: MoneyString, reserved: MoneyString }),
  positions: T.Array(T.Object({ assetId: T.String(), available: T.String(), reserved: T.String() })),
});
const Reservation = T.Object({ reservationId: T.String() });

export const transactionsContract = defineContract({
  service: 'transactions',
  rpc: {
    getBalances: rpc({ request: T.Object({ accountId: T.String() }), response: Balances }),
    /** The balances of several accounts in one call (the GraphQL gateway's batches), in the order asked; an account with no postings has zeros. */
    getBalancesOf: rpc({
      request: T.Object({ accountIds: T.Array(T.String(), { minItems: 1, maxItems: MAX_ACCOUNTS_PER_CALL }) }),
      response: T.Object({ items: T.Array(Balances) }),
    }),
    listEntries: rpc({ request: T.Object({ accountId: T.String(), ...PageRequest }), response: Page(LedgerEntry) }),
    /**
     * A payment the provider has answered, posted once per payment: a deposit external → available;
     * a withdrawal consumes its reservation, reserved → external. payments calls it before it marks
     * the payment completed, so a completed payment is always in the ledger (decision 14). The amount
     * is at most the limit per payment (validation_failed otherwise, docs/limits.md).
     */
    postPayment: rpc({
      request: T.Object({
        paymentId: T.String(),
        accountId: T.String(),
        kind: T.Union([T.Literal('deposit'), T.Literal('withdrawal')]),
        amount: AmountString,
        reservationId: T.Optional(T.String()),
      }),
      response: T.Object({ postingId: T.String() }),
      errors: ['not_found', 'validation_failed'],
      idempotent: true,
    }),
    /** available → reserved cash (for a buy: quantity × limit price rounded up; for a withdrawal: its amount). */
    reserveCash: rpc({
      request: T.Object({
        accountId: T.String(),
        amount: AmountString,
        orderId: T.Optional(T.String()),
        paymentId: T.Optional(T.String()),
      }),
      response: Reservation,
      errors: ['insufficient_funds'],
      idempotent: true,
    }),
    /** available → reserved quantity of a position (for a sell). */
    reservePosition: rpc({
      request: T.Object({ accountId: T.String(), assetId: T.String(), quantity: QuantityString, orderId: T.String() }),
      response: Reservation,
      errors: ['insufficient_position'],
      idempotent: true,
    }),
    /** Gives back what is left of a reservation; `released` is false when nothing was left (already released or consumed). */
    releaseReservation: rpc({
      request: T.Object({ reservationId: T.String() }),
      response: T.Object({ released: T.Boolean() }),
      errors: ['not_found'],
      idempotent: true,
    }),
    /** available cash → house:fees. */
    chargeFee: rpc({
      request: T.Object({ accountId: T.String(), amount: AmountString, orderId: T.String(), feeId: T.String() }),
      response: T.Object({ postingId: T.String() }),
      errors: ['insufficient_funds'],
      idempotent: true,
    }),
    /** house:fees → available cash: the reversal of the fee charged under `feeId` (not_found when none was). */
    refundFee: rpc({
      request: T.Object({ accountId: T.String(), amount: AmountString, orderId: T.String(), feeId: T.String() }),
      response: T.Object({ postingId: T.String() }),
      errors: ['not_found', 'refund_mismatch'],
      idempotent: true,
    }),
    /**
     * The fill (the saga's pivot): a buy moves quantity × fillPrice (half-up) from reserved cash to
     * `exchange`, releases the rest of the reservation, and adds the position; a sell moves the
     * reserved quantity to `exchange` and adds quantity × fillPrice to available cash.
     */
    settleTrade: rpc({
      request: T.Object({
        reservationId: T.String(),
        orderId: T.String(),
        accountId: T.String(),
        side: Side,
        assetId: T.String(),
        quantity: QuantityString,
        fillPrice: PriceString,
      }),
      response: T.Object({ postingId: T.String(), cashAmount: MoneyString }),
      errors: ['not_found'],
      idempotent: true,
    }),
    trialBalance: rpc({
      request: T.Object({}),
      response: T.Object({
        balanced: T.Boolean(),
        assets: T.Array(T.Object({ asset: T.String(), total: T.String() })),
      }),
    }),
  },
  events: {
    /** One per posting that touches a customer account, with that account's own entries. */
    LedgerPosted: event({
      data: T.Object({
        postingId: T.String(),
        accountId: T.String(),
        kind: EntryKind,
        at: T.String(),
        orderId: T.Optional(T.String()),
        paymentId: T.Optional(T.String()),
        /** For a trade: the fill price, so read models can keep an average cost. */
        price: T.Optional(PriceString),
        entries: T.Array(
          T.Object({
            asset: T.String(),
            book: T.Union([T.Literal('available'), T.Literal('reserved')]),
            amount: T.String(),
          }),
        ),
      }),
    }),
  },
});
