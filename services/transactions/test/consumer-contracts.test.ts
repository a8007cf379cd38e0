/**
 * transactions honours what its consumers expect of it (decision 37): every
 * services/<consumer>/test/contracts/transactions.expectations.ts, against the real ledger. Each
 * provider state posts what it needs on a fresh account and answers its ids for the example request.
 */
import { randomUUID } from 'node:crypto';
import { verifyConsumerExpectations, type TestService } from '@simplebank/chassis/testing';
import { transactionsContract as tc } from '../src/contract.ts';
import { transactionsService } from '../src/service.ts';

const key = () => ({ idempotencyKey: `contract-state-${randomUUID()}` });

/** A fresh account with 1000.00 of available cash. */
async function accountWithCash(service: TestService): Promise<string> {
  const accountId = `acc-${randomUUID()}`;
  await service.call(
    tc,
    'postPayment',
    { paymentId: `pay-${randomUUID()}`, accountId, kind: 'deposit', amount: '1000.00' },
    key(),
  );
  return accountId;
}

const text = (value: unknown, otherwise: string) => (typeof value === 'string' ? value : otherwise);

await verifyConsumerExpectations(transactionsService, {
  servicesDir: new URL('../..', import.meta.url),
  states: {
    'an account with cash': async ({ service }) => {
      const accountId = await accountWithCash(service);
      return { request: { accountId, accountIds: [accountId] } };
    },
    'a cash reservation': async ({ service, request }) => {
      const accountId = await accountWithCash(service);
      const { reservationId } = await service.call(
        tc,
        'reserveCash',
        { accountId, amount: '200.00', orderId: text(request.orderId, `o-${randomUUID()}`) },
        key(),
      );
      return { request: { accountId, reservationId } };
    },
    'an account holding ABC': async ({ service }) => {
      const accountId = await accountWithCash(service);
      const orderId = `o-${randomUUID()}`;
      const { reservationId } = await service.call(tc, 'reserveCash', { accountId, amount: '200.00', orderId }, key());
      await service.call(
        tc,
        'settleTrade',
        { reservationId, orderId, accountId, side: 'buy', assetId: 'ABC', quantity: '5', fillPrice: '30.00' },
        key(),
      );
      return { request: { accountId } };
    },
    'a fee charged': async ({ service, request }) => {
      const accountId = await accountWithCash(service);
      await service.call(
        tc,
        'chargeFee',
        {
          accountId,
          amount: text(request.amount, '1.00'),
          orderId: text(request.orderId, 'o-1'),
          feeId: text(request.feeId, 'fee-1'),
        },
        key(),
      );
      return { request: { accountId } };
    },
    'a withdrawal reserved': async ({ service, request }) => {
      const accountId = await accountWithCash(service);
      const { reservationId } = await service.call(
        tc,
        'reserveCash',
        { accountId, amount: text(request.amount, '50.00'), paymentId: text(request.paymentId, `p-${randomUUID()}`) },
        key(),
      );
      return { request: { accountId, reservationId } };
    },
  },
});
