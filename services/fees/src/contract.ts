/** fees: the versioned fee schedule, and every fee charged or refunded per order (through the ledger). */
import { DateTime, T, defineContract, event, rpc } from '@simplebank/chassis';
import { AmountString, PriceString, QuantityString, RateString } from '@simplebank/money';

export const FeeSchedule = T.Object({
  minimum: AmountString,
  rate: RateString,
  effectiveFrom: DateTime,
  version: T.Integer(),
});

export const feesContract = defineContract({
  service: 'fees',
  rpc: {
    getSchedule: rpc({ request: T.Object({}), response: FeeSchedule }),
    /** Admin: a new version, applying to orders created after it. */
    setSchedule: rpc({ request: T.Object({ minimum: AmountString, rate: RateString }), response: FeeSchedule }),
    /** max(minimum, rate × quantity × price), half-up to the cent, from the schedule in force now. */
    quoteFee: rpc({
      request: T.Object({ quantity: QuantityString, price: PriceString }),
      response: T.Object({ fee: AmountString, scheduleVersion: T.Integer() }),
    }),
    /** Records the fee of an order and charges it through the ledger (available → house:fees). */
    chargeFee: rpc({
      request: T.Object({ orderId: T.String(), accountId: T.String(), amount: AmountString }),
      response: T.Object({ feeId: T.String(), amount: AmountString }),
      errors: ['insufficient_funds'],
      idempotent: true,
    }),
    /**
     * Refunds the order's fee, once; `refunded` false when there was none to refund. With the account
     * and amount (what the saga asked to charge), a charge whose answer was lost — the ledger posted
     * it, the fee record did not commit — is found and refunded too.
     */
    refundFee: rpc({
      request: T.Object({ orderId: T.String(), accountId: T.Optional(T.String()), amount: T.Optional(AmountString) }),
      response: T.Object({ refunded: T.Boolean(), amount: AmountString }),
      idempotent: true,
    }),
  },
  events: {
    FeeCharged: event({
      data: T.Object({
        feeId: T.String(),
        orderId: T.String(),
        accountId: T.String(),
        amount: AmountString,
        at: T.String(),
      }),
    }),
    FeeRefunded: event({
      data: T.Object({
        feeId: T.String(),
        orderId: T.String(),
        accountId: T.String(),
        amount: AmountString,
        at: T.String(),
      }),
    }),
  },
});
