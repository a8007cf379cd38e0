/**
 * fees honours what its consumers expect of it (decision 37): every
 * services/<consumer>/test/contracts/fees.expectations.ts, against the real service, with the
 * ledger (transactions) stubbed at its contract: the provider states set up the stub's accounts.
 */
import { BusinessRuleError, NotFoundError } from '@simplebank/chassis';
import { stubService, verifyConsumerExpectations } from '@simplebank/chassis/testing';
import { transactionsContract } from '@simplebank/transactions/contract';
import { feesContract } from '../src/contract.ts';
import { feesService } from '../src/service.ts';

/** The ledger's side as fees uses it: a poor account cannot pay; a refund needs the fee charged. */
const poor = new Set<string>();
const charged = new Set<string>();
let postings = 0;
const ledger = (t: Parameters<typeof stubService>[0]) =>
  stubService(t, transactionsContract, {
    chargeFee: (req) => {
      if (poor.has(req.accountId)) throw new BusinessRuleError('insufficient_funds', 'Not enough cash for the fee');
      charged.add(req.feeId);
      return { postingId: `posting-${++postings}` };
    },
    refundFee: (req) => {
      if (!charged.has(req.feeId)) throw new NotFoundError('No fee was charged under this fee id');
      return { postingId: `posting-${++postings}` };
    },
  });

await verifyConsumerExpectations(feesService, {
  servicesDir: new URL('../..', import.meta.url),
  stubs: [ledger],
  states: {
    'an account with cash': () => {},
    'an account without cash': ({ request }) => {
      poor.add(String(request.accountId));
    },
    'a fee charged': async ({ service, request }) => {
      await service.call(
        feesContract,
        'chargeFee',
        { orderId: String(request.orderId), accountId: String(request.accountId), amount: String(request.amount) },
        { idempotencyKey: `state:${String(request.orderId)}` },
      );
    },
  },
});
