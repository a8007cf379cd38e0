/** The investment as others see it, and its status changes (each published as InvestmentStatusChanged). */
import type { Static, Tx } from '@simplebank/chassis';
import { formatMoney, formatQuantity } from '@simplebank/money';
import { strategyOrdersContract, type Investment } from './contract.ts';
import { totals, type InvestmentStatus } from './domain/investment.ts';
import * as store from './store.ts';

/** The payment completed (and was posted) once the investment has moved past awaiting it, and not failed. */
const paid = (status: InvestmentStatus) => status === 'ordering' || status === 'completed';

export function toInvestment(row: store.InvestmentRow): Static<typeof Investment> {
  const t = totals(row.amount, paid(row.status), row.allocations);
  return {
    id: row.id,
    strategyId: row.strategyId,
    destinationAccountId: row.accountId,
    amount: formatMoney(row.amount),
    paymentId: row.paymentId,
    status: row.status,
    ...(row.reason !== null ? { reason: row.reason } : {}),
    orders: row.allocations.flatMap((a) =>
      a.orderId !== null && a.orderStatus !== null && a.quantity !== null
        ? [{ orderId: a.orderId, assetId: a.assetId, quantity: formatQuantity(a.quantity), status: a.orderStatus }]
        : [],
    ),
    skipped: row.allocations.flatMap((a) =>
      a.skipped !== null ? [{ assetId: a.assetId, share: formatMoney(a.share), reason: a.skipped }] : [],
    ),
    invested: formatMoney(t.invested),
    fees: formatMoney(t.fees),
    leftover: formatMoney(t.leftover),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** Publishes the investment's status as it now stands in `tx` (read there, after the change). */
export async function publishStatus(tx: Tx, investmentId: string): Promise<Static<typeof Investment>> {
  const row = (await store.getInvestment(tx, investmentId))!;
  const i = toInvestment(row);
  await tx.publish(
    strategyOrdersContract.events.InvestmentStatusChanged,
    {
      investmentId: i.id,
      customerId: row.customerId,
      strategyId: i.strategyId,
      accountId: i.destinationAccountId,
      amount: i.amount,
      status: i.status,
      reason: i.reason ?? null,
      invested: i.invested,
      fees: i.fees,
      leftover: i.leftover,
      at: i.updatedAt,
    },
    { key: i.id },
  );
  return i;
}

/** Moves the investment to `status` and publishes it. */
export async function changeStatus(
  tx: Tx,
  investmentId: string,
  status: InvestmentStatus,
  reason: string | null = null,
): Promise<void> {
  await store.setStatus(tx, investmentId, status, reason, new Date());
  await publishStatus(tx, investmentId);
}
