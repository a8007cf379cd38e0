/** payments: money in (deposits) and out (withdrawals) through a simulated payment provider. */
import { DateTime, T, defineContract, event, rpc } from '@simplebank/chassis';
import { AmountString } from '@simplebank/money';

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
const PaymentEvent = {
  paymentId: T.String(),
  accountId: T.String(),
  customerId: T.String(),
  kind: T.Union([T.Literal('deposit'), T.Literal('withdrawal')]),
  method: PaymentMethod,
  amount: AmountString,
  /** For a withdrawal: the ledger reservation holding the cash. */
  reservationId: T.Optional(T.String()),
};

export const paymentsContract = defineContract({
  service: 'payments',
  rpc: {
    /**
     * The account must be the caller's (not_found otherwise). Card `4000000000000002` is always
     * declined. The amount is at most the limit per payment, 1000000.00 (validation_failed).
     */
    requestDeposit: rpc({
      request: T.Object({
        accountId: T.String(),
        amount: AmountString,
        method: PaymentMethod,
        card: T.Optional(T.Object({ number: T.String({ pattern: '^\\d{16}$' }) })),
      }),
      response: Payment,
      errors: ['not_found', 'validation_failed', 'account_closed'],
      idempotent: true,
    }),
    /** Reserves the cash first: insufficient_funds when available cash is short. At most 1000000.00 (validation_failed). */
    requestWithdrawal: rpc({
      request: T.Object({ accountId: T.String(), amount: AmountString }),
      response: Payment,
      errors: ['not_found', 'insufficient_funds', 'account_closed', 'validation_failed'],
      idempotent: true,
    }),
    getPayment: rpc({ request: T.Object({ paymentId: T.String() }), response: Payment, errors: ['not_found'] }),
  },
  events: {
    PaymentCompleted: event({ data: T.Object(PaymentEvent) }),
    PaymentFailed: event({ data: T.Object({ ...PaymentEvent, reason: T.String() }) }),
  },
});
