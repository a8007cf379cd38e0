/** Events as orders, fees and transactions publish them, for reporting's tests. */
import { randomUUID } from 'node:crypto';
import type { Identity } from '@simplebank/chassis';
import { feesContract } from '@simplebank/fees/contract';
import { ordersContract } from '@simplebank/orders/contract';
import { transactionsContract } from '@simplebank/transactions/contract';

export const ORDER = ordersContract.events.OrderStatusChanged.type;
export const CHARGED = feesContract.events.FeeCharged.type;
export const REFUNDED = feesContract.events.FeeRefunded.type;
export const POSTED = transactionsContract.events.LedgerPosted.type;

/** The events of one filled buy of 2 AAPL at 228.97 (fee 1.01) after a deposit of 500.00, each with its own id. */
export function filledBuy(who: Identity, accountId: string, base: number) {
  const at = (s: number) => new Date(base + s * 1000).toISOString();
  const orderId = randomUUID();
  const order = {
    orderId,
    accountId,
    customerId: who.customerId,
    assetId: 'AAPL',
    side: 'buy',
    quantity: '2',
    reason: null,
    fillPrice: null,
    fee: '1.01',
  };
  const feeId = randomUUID();
  return {
    orderId,
    events: [
      {
        type: POSTED,
        id: randomUUID(),
        data: {
          postingId: randomUUID(),
          accountId,
          kind: 'deposit',
          at: at(0),
          paymentId: 'pay-1',
          entries: [{ asset: 'USD', book: 'available', amount: '500.00' }],
        },
      },
      { type: ORDER, id: randomUUID(), data: { ...order, status: 'pending', at: at(1) } },
      { type: CHARGED, id: randomUUID(), data: { feeId, orderId, accountId, amount: '1.01', at: at(1) } },
      {
        type: POSTED,
        id: randomUUID(),
        data: {
          postingId: randomUUID(),
          accountId,
          kind: 'fee',
          at: at(1),
          orderId,
          entries: [{ asset: 'USD', book: 'available', amount: '-1.01' }],
        },
      },
      {
        type: POSTED,
        id: randomUUID(),
        data: {
          postingId: randomUUID(),
          accountId,
          kind: 'reservation',
          at: at(2),
          orderId,
          entries: [
            { asset: 'USD', book: 'available', amount: '-480.84' },
            { asset: 'USD', book: 'reserved', amount: '480.84' },
          ],
        },
      },
      { type: ORDER, id: randomUUID(), data: { ...order, status: 'placed', at: at(3) } },
      {
        type: POSTED,
        id: randomUUID(),
        data: {
          postingId: randomUUID(),
          accountId,
          kind: 'trade',
          at: at(4),
          orderId,
          price: '228.97',
          entries: [
            { asset: 'USD', book: 'reserved', amount: '-480.84' },
            { asset: 'USD', book: 'available', amount: '22.90' },
            { asset: 'AAPL', book: 'available', amount: '2' },
          ],
        },
      },
      { type: ORDER, id: randomUUID(), data: { ...order, status: 'filled', fillPrice: '228.97', at: at(4) } },
    ],
  };
}
